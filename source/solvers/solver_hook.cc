#include <deal.II/base/parameter_handler.h>
#include <deal.II/base/utilities.h>

#include <deal.II/lac/sparse_matrix.h>
#include <deal.II/lac/trilinos_sparse_matrix.h>
#include <deal.II/lac/trilinos_vector.h>
#include <deal.II/lac/vector.h>

#include <dealii-learned/base/collective.h>
#include <dealii-learned/base/utilities.h>
#include <dealii-learned/solvers/solver_hook.h>
#include <dealii-learned/solvers/system_recorder.h>

#include <algorithm>
#include <iomanip>
#include <sstream>

namespace dealii_learned
{
  using namespace dealii;

  template <>
  Registry<SolverHook> &
  Registry<SolverHook>::instance()
  {
    static Registry<SolverHook> registry;
    return registry;
  }


  double
  SolverSettings::tolerance(const double rhs_norm) const
  {
    return std::max(absolute_tolerance, relative_tolerance * rhs_norm);
  }


  std::string
  SolverSettings::label() const
  {
    return method + "(" + preconditioner + ")";
  }


  SolverNoConvergence::SolverNoConvergence(const SolverSettings &settings,
                                           const SolverReport   &report)
    : SolverControl::NoConvergence(report.iterations, report.residual)
    , solver(report.preconditioner.empty() ?
               report.method :
               report.method + "(" + report.preconditioner + ")")
    , max_iterations(settings.max_iterations)
    , tolerance(report.tolerance)
    , relative_tolerance(settings.relative_tolerance)
    , absolute_tolerance(settings.absolute_tolerance)
    , rhs_norm(report.rhs_norm)
    , stagnated(report.stagnated)
    , restarts(report.restarts)
  {}


  void
  SolverNoConvergence::print_info(std::ostream &out) const
  {
    std::ostringstream text;
    text << std::setprecision(3);
    const double relative = last_residual / rhs_norm;
    const auto   tolerance_text = [&]() {
      std::ostringstream t;
      t << std::setprecision(3) << "the tolerance " << tolerance
        << " = max(Absolute tolerance " << absolute_tolerance
        << ", Relative tolerance " << relative_tolerance << " * ||b|| "
        << rhs_norm << ")";
      return t.str();
    };
    if (stagnated)
      {
        // A looser tolerance that this method reaches with a margin (none
        // to suggest when the floor is near the right-hand side itself).
        const double suggested = 10. * relative;
        text << "Linear solver " << solver << " stagnated: after "
             << last_step << " iterations and " << restarts
             << " restarts from the true residual, ||b - A x|| stays at "
             << last_residual << " (relative " << relative
             << "), the accuracy this method attains for this system, above "
             << tolerance_text()
             << ". More iterations cannot help. Loosen the tolerance to "
                "what the system allows (";
        if (suggested < 1.)
          text << "for example 'Relative tolerance = " << suggested << "'; ";
        text << "rounding limits relative residuals to about 1e-16 times "
                "the condition number), or precondition better (a stronger "
                "preconditioner, or a better scaled system) to lower the "
                "floor.";
      }
    else if (last_step >= max_iterations)
      text << "Linear solver " << solver << " did not converge: after "
           << last_step << " iterations (the limit, 'Maximum iterations'),"
           << " the true residual ||b - A x|| = " << last_residual
           << " (relative " << relative << ") is above " << tolerance_text()
           << ". Choose a stronger method or "
              "preconditioner, or raise 'Maximum iterations'.";
    else
      text << "Linear solver " << solver << " did not converge: it broke "
           << "down after " << last_step << " of at most " << max_iterations
           << " iterations, and the true residual ||b - A x|| = "
           << last_residual << " (relative " << relative << ") is above "
           << tolerance_text()
           << ". The matrix or the preconditioner may not be symmetric "
              "positive definite; check the assembly, or choose another "
              "method or preconditioner.";
    out << text.str() << '\n';
  }


  void
  SolverHook::parse_parameters(ParameterHandler &)
  {}


  void
  SolverHook::set_settings(const SolverSettings &new_settings)
  {
    settings = new_settings;
  }


  const SolverSettings &
  SolverHook::get_settings() const
  {
    return settings;
  }


  void
  SolverHook::set_structure(const SystemStructure &new_structure)
  {
    structure     = new_structure;
    has_structure = true;
  }


  SystemStructure
  SolverHook::get_structure() const
  {
    if (has_structure)
      return structure;
    SystemStructure implied;
    implied.n_components = settings.n_components;
    return implied;
  }


  const SolverReport &
  SolverHook::last_report() const
  {
    return report;
  }


  namespace
  {
    /**
     * What LinearSolver::create() returns: the created hook, whose
     * distributed solves run under abort_on_lone_failure(). A decorator
     * rather than a duty of every hook, so that user plugins get it too.
     */
    class GuardedSolverHook : public SolverHook
    {
    public:
      GuardedSolverHook(std::unique_ptr<SolverHook>     hook,
                        std::unique_ptr<SystemRecorder> recorder)
        : hook(std::move(hook))
        , recorder(std::move(recorder))
      {}

      SolverReport
      solve(const SparseMatrix<double> &A,
            Vector<double>             &x,
            const Vector<double>       &b) override
      {
        // Each rank solves a system of its own: nothing to agree on.
        return forward([&]() {
          // Sizes from b: the hook checks A against x and b itself (and
          // a matrix without a pattern has no size to ask for).
          check_system_structure(get_structure(),
                                 b.size(),
                                 b.size(),
                                 MPI_COMM_SELF,
                                 "Linear solver '" + settings.method + "'");
          hook->solve(A, x, b);
          if (recorder)
            recorder->solved(A, x, b, get_structure(), hook->last_report());
        });
      }

      SolverReport
      solve(const TrilinosWrappers::SparseMatrix &A,
            TrilinosWrappers::MPI::Vector        &x,
            const TrilinosWrappers::MPI::Vector  &b) override
      {
        return forward([&]() {
          // Collective, and the same verdict on every rank.
          check_system_structure(get_structure(),
                                 b.size(),
                                 b.locally_owned_size(),
                                 A.get_mpi_communicator(),
                                 "Linear solver '" + settings.method + "'");
          abort_on_lone_failure(A.get_mpi_communicator(),
                                "Linear solver '" + settings.method + "'",
                                [&]() {
                                  hook->solve(A, x, b);
                                  if (recorder)
                                    recorder->solved(A,
                                                     x,
                                                     b,
                                                     get_structure(),
                                                     hook->last_report());
                                });
        });
      }

    private:
      template <typename Solve>
      SolverReport
      forward(const Solve &solve)
      {
        hook->set_settings(settings);
        if (has_structure)
          hook->set_structure(structure);
        try
          {
            solve();
          }
        catch (...)
          {
            report = hook->last_report();
            throw;
          }
        report = hook->last_report();
        return report;
      }

      std::unique_ptr<SolverHook>     hook;
      std::unique_ptr<SystemRecorder> recorder;
    };
  } // namespace


  namespace LinearSolver
  {
    const std::vector<std::string> &
    preconditioner_names()
    {
      static const std::vector<std::string> names = {
        "none", "jacobi", "ssor", "ic", "amg"};
      return names;
    }


    void
    declare_parameters(ParameterHandler &prm)
    {
      const auto &registry = Registry<SolverHook>::instance();
      prm.enter_subsection("Linear solver");
      {
        prm.declare_entry(
          "Method",
          "cg",
          Patterns::Selection(registry.selection_pattern()),
          "The solver hook that solves every linear system. Its own "
          "parameters are in the subsection of the same name below. "
          "Registered methods:" +
            registry.documentation());
        prm.declare_entry(
          "Preconditioner",
          "amg",
          Patterns::Selection(
            dealii_learned::join(preconditioner_names(), "|")),
          "Preconditioner of the classical `cg' method: none, jacobi, ssor, "
          "ic (incomplete Cholesky) or amg (algebraic multigrid, Trilinos "
          "ML). Learned methods ignore it.");
        prm.declare_entry(
          "Relative tolerance",
          "1e-8",
          Patterns::Double(0., 1.),
          "A solve has converged when the true residual, recomputed as "
          "b - A x after the method's own recurrence says it is done, "
          "satisfies ||b - A x|| <= max(Absolute tolerance, Relative "
          "tolerance * ||b||) (Euclidean norms). A method whose recurrence "
          "drifted below the tolerance while the true residual did not is "
          "restarted from the true residual, within the same iteration "
          "limit; when three restarts in a row do not halve the true "
          "residual, the tolerance lies below the accuracy the method "
          "attains for the system, and the solve ends at once with an error "
          "that gives that floor (stagnation). In [0, 1]; at least one of "
          "the two tolerances must be positive.");
        prm.declare_entry("Absolute tolerance",
                          "0",
                          Patterns::Double(0.),
                          "Absolute part of the convergence rule (see "
                          "'Relative tolerance'); 0 leaves the relative "
                          "tolerance alone. deal.II's SolverControl(n, tol) "
                          "is Absolute tolerance = tol, Relative tolerance "
                          "= 0.");
        prm.declare_entry("Maximum iterations",
                          "10000",
                          Patterns::Integer(1),
                          "Every method stops after this many iterations "
                          "in total (restarts included); a solve that has "
                          "not converged by then ends with an error that "
                          "gives the true residual and the tolerance (one "
                          "that stagnates ends before, see 'Relative "
                          "tolerance').");
        prm.declare_entry(
          "Components per point",
          "1",
          Patterns::Integer(1),
          "Unknowns per support point of a vector-valued system (the "
          "element's vector components, numbered point by point as deal.II "
          "numbers an FESystem of FE_Q elements unless the DoFs are "
          "renumbered by component): 2 or 3 for elasticity. `cg` with `amg` "
          "hands ML the constant mode of each component; a program that "
          "knows better (the rigid-body modes) gives them through "
          "SolverHook::set_structure(), which takes precedence. The "
          "component count must divide the number of unknowns.");
        prm.declare_entry(
          "Record systems",
          "",
          Patterns::Anything(),
          "A directory to record the solved systems into, for training a "
          "network on them (`dealii-learned train`) or for reading them "
          "elsewhere: per system the matrix, the right-hand side, the "
          "solution and the near-null space the program gave, as Matrix "
          "Market files (Trilinos' EpetraExt), and a line in index.txt. Only "
          "converged solves are recorded. The directory is created if "
          "needed; one that cannot be written or that holds another run's "
          "records is an error before the first solve. Empty: nothing is "
          "recorded.");
        prm.declare_entry("Record every",
                          "1",
                          Patterns::Integer(1),
                          "With `Record systems`, record the solves 1, k + 1, "
                          "2 k + 1, ... of this hook.");
        prm.declare_entry(
          "Compare with",
          "",
          Patterns::List(Patterns::Anything()),
          "Further solvers run on every system for comparison, as a "
          "comma-separated list of method or method:preconditioner, for "
          "example `cg:none, cg:jacobi, cg:ic'. Their solutions are "
          "discarded; each adds one row per cycle to the summary.");
        registry.declare_parameters(prm);
      }
      prm.leave_subsection();
    }


    SolverSettings
    parse_settings(ParameterHandler &prm)
    {
      SolverSettings settings;
      prm.enter_subsection("Linear solver");
      settings.method             = prm.get("Method");
      settings.preconditioner     = prm.get("Preconditioner");
      settings.relative_tolerance = prm.get_double("Relative tolerance");
      settings.absolute_tolerance = prm.get_double("Absolute tolerance");
      settings.max_iterations     = prm.get_integer("Maximum iterations");
      settings.n_components       = prm.get_integer("Components per point");
      settings.record_directory   = prm.get("Record systems");
      settings.record_every       = prm.get_integer("Record every");
      prm.leave_subsection();
      AssertThrow(settings.relative_tolerance > 0. ||
                    settings.absolute_tolerance > 0.,
                  ExcMessage("Linear solver: 'Relative tolerance' and "
                             "'Absolute tolerance' are both 0, so no solve "
                             "could ever converge; make at least one of "
                             "them positive."));
      return settings;
    }


    std::vector<SolverSettings>
    parse_method_list(const std::string    &list,
                      const SolverSettings &base,
                      const std::string    &parameter)
    {
      std::vector<SolverSettings> result;
      for (const auto &item : Utilities::split_string_list(list))
        {
          SolverSettings s = base;
          s.record_directory.clear();
          const auto colon = item.find(':');
          s.method         = Utilities::trim(item.substr(0, colon));
          if (colon != std::string::npos)
            s.preconditioner = Utilities::trim(item.substr(colon + 1));

          AssertThrow(Registry<SolverHook>::instance().contains(s.method),
                      ExcMessage(
                        "Linear solver/" + parameter + ": unknown method '" +
                        s.method + "' in '" + item + "'. Known methods: " +
                        Registry<SolverHook>::instance().selection_pattern() +
                        "."));
          const auto &p = preconditioner_names();
          AssertThrow(
            std::find(p.begin(), p.end(), s.preconditioner) != p.end(),
            ExcMessage("Linear solver/" + parameter +
                       ": unknown preconditioner '" + s.preconditioner +
                       "' in '" + item + "'. Known preconditioners: " +
                       dealii_learned::join(p, "|") + "."));
          result.push_back(s);
        }
      return result;
    }


    std::vector<SolverSettings>
    parse_comparisons(ParameterHandler &prm)
    {
      const SolverSettings base = parse_settings(prm);
      prm.enter_subsection("Linear solver");
      const std::string list = prm.get("Compare with");
      prm.leave_subsection();
      // Only the main hook records.
      return parse_method_list(list, base, "Compare with");
    }


    std::unique_ptr<SolverHook>
    create(const SolverSettings &settings,
           ParameterHandler     &prm,
           const MPI_Comm       &comm)
    {
      std::unique_ptr<SolverHook> hook;
      decide_collectively(comm, [&]() {
        hook =
          Registry<SolverHook>::instance().create_configured(settings.method,
                                                             prm,
                                                             "Linear solver");
      });
      hook->set_settings(settings);
      std::unique_ptr<SystemRecorder> recorder;
      if (!settings.record_directory.empty())
        recorder = std::make_unique<SystemRecorder>(settings.record_directory,
                                                    settings.record_every,
                                                    comm);
      auto guarded = std::make_unique<GuardedSolverHook>(std::move(hook),
                                                         std::move(recorder));
      guarded->set_settings(settings);
      return guarded;
    }


    std::unique_ptr<SolverHook>
    create(ParameterHandler &prm, const MPI_Comm &comm)
    {
      return create(parse_settings(prm), prm, comm);
    }
  } // namespace LinearSolver
} // namespace dealii_learned
