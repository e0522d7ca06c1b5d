// A user's own components in a shared library of their own: a MINRES solver
// hook, a postprocessor, a tiny trainer, and two faulty components that
// throw on the last MPI rank only (for the tests of failures on one rank).
// Nothing in dealii-learned knows about them; loading the library through `set
// Additional shared libraries` makes them selectable by name.

#include <deal.II/base/parameter_handler.h>
#include <deal.II/base/timer.h>

#include <deal.II/dofs/dof_handler.h>

#include <deal.II/lac/precondition.h>
#include <deal.II/lac/solver_control.h>
#include <deal.II/lac/solver_minres.h>
#include <deal.II/lac/sparse_matrix.h>
#include <deal.II/lac/trilinos_sparse_matrix.h>
#include <deal.II/lac/trilinos_vector.h>
#include <deal.II/lac/vector.h>

#include <dealii-learned/base/utilities.h>
#include <dealii-learned/postprocessors/postprocessor_hook.h>
#include <dealii-learned/problems/problem.h>
#include <dealii-learned/solvers/solve_and_report.h>
#include <dealii-learned/solvers/solver_hook.h>
#include <dealii-learned/training/trainer.h>

#include <fstream>
#include <sstream>

namespace user
{
  using namespace dealii;

  class MinRes : public dealii_learned::SolverHook
  {
  public:
    static void
    declare_parameters(ParameterHandler &)
    {}

    // The library's convergence frame does the bookkeeping: the true
    // residual, restarts, the iteration limit, the report.
    template <typename Matrix, typename VectorType>
    dealii_learned::SolverReport
    run(const Matrix &A, VectorType &x, const VectorType &b)
    {
      dealii_learned::solve_and_report(
        settings,
        A,
        x,
        b,
        [&](const auto &iterate, dealii_learned::SolverReport &) {
          iterate([&](SolverControl &control) {
            SolverMinRes<VectorType> minres(control);
            minres.solve(A, x, b, PreconditionIdentity());
          });
        },
        report);
      return report;
    }

    dealii_learned::SolverReport
    solve(const SparseMatrix<double> &A,
          Vector<double>             &x,
          const Vector<double>       &b) override
    {
      return run(A, x, b);
    }

    dealii_learned::SolverReport
    solve(const TrilinosWrappers::SparseMatrix &A,
          TrilinosWrappers::MPI::Vector        &x,
          const TrilinosWrappers::MPI::Vector  &b) override
    {
      return run(A, x, b);
    }
  };


  /** Reports the number of DoFs and the mean nodal value. */
  template <int dim>
  class NodalMean : public dealii_learned::PostprocessorHook<dim>
  {
  public:
    static void
    declare_parameters(ParameterHandler &prm)
    {
      prm.declare_entry("Scale",
                        "1",
                        Patterns::Double(),
                        "Multiplies the mean.");
    }

    void
    parse_parameters(ParameterHandler &prm) override
    {
      scale = prm.get_double("Scale");
    }

    dealii_learned::Statistics
    execute(const dealii_learned::FieldContext<dim> &context,
            TrilinosWrappers::MPI::Vector           &field) override
    {
      return {{"nodal_mean", scale * field.mean_value()},
              {"n_dofs_seen", double(context.dof_handler.n_dofs())}};
    }

    double scale = 1.;
  };


  /** Throws on the last rank while the other ranks enter a matrix-vector
   *  product, which needs the last rank's data. */
  class ThrowOnLastRank : public dealii_learned::SolverHook
  {
  public:
    static void
    declare_parameters(ParameterHandler &)
    {}

    dealii_learned::SolverReport
    solve(const SparseMatrix<double> &,
          Vector<double> &,
          const Vector<double> &) override
    {
      throw ExcMessage("user-throw: injected failure (serial)");
    }

    dealii_learned::SolverReport
    solve(const TrilinosWrappers::SparseMatrix &A,
          TrilinosWrappers::MPI::Vector        &x,
          const TrilinosWrappers::MPI::Vector  &b) override
    {
      const MPI_Comm comm = A.get_mpi_communicator();
      if (Utilities::MPI::this_mpi_process(comm) + 1 ==
          Utilities::MPI::n_mpi_processes(comm))
        throw ExcMessage("user-throw: injected failure in the solver hook");
      for (unsigned int k = 0; k < 1000; ++k)
        A.vmult(x, b);
      return report;
    }
  };


  /** Throws on the last rank while the others compute a norm. */
  template <int dim>
  class ThrowOnLastRankPostprocessor
    : public dealii_learned::PostprocessorHook<dim>
  {
  public:
    static void
    declare_parameters(ParameterHandler &)
    {}

    dealii_learned::Statistics
    execute(const dealii_learned::FieldContext<dim> &context,
            TrilinosWrappers::MPI::Vector           &field) override
    {
      const MPI_Comm comm = context.mpi_communicator;
      if (Utilities::MPI::this_mpi_process(comm) + 1 ==
          Utilities::MPI::n_mpi_processes(comm))
        throw ExcMessage("user-throw: injected failure in the postprocessor");
      return {{"norm", field.l2_norm()}};
    }
  };


  /**
   * A tiny trainer: the constant c that minimises the mean of (c - u_i)^2
   * over the nodal values u_i of the problem's solution (the data are made
   * online by solving the problem of `subsection Problem`), by gradient
   * descent from c = 0. Its checkpoint is one text file.
   */
  class MeanValueTrainer : public dealii_learned::Trainer
  {
  public:
    static void
    declare_parameters(ParameterHandler &prm)
    {
      prm.declare_entry("Step size",
                        "0.25",
                        Patterns::Double(0., 1.),
                        "Gradient step.");
    }

    void
    parse_parameters(ParameterHandler &prm) override
    {
      step = prm.get_double("Step size");
    }

    void
    initialize(const dealii_learned::TrainingContext &context) override
    {
      if (!context.checkpoint.empty())
        {
          std::ifstream in(context.checkpoint + ".mean");
          unsigned int  epoch = 0;
          std::string   word, text;
          in >> word >> epoch >> word >> text;
          AssertThrow(in && epoch == context.epochs_completed,
                      ExcMessage("mean-value: broken checkpoint"));
          c = std::strtod(text.c_str(), nullptr);
        }
      auto settings = dealii_learned::ProblemParameters::parse(context.prm);
      auto problem =
        dealii_learned::ProblemParameters::create<2>(settings, context.prm);
      problem->setup_system();
      problem->assemble_system();
      dealii_learned::SolverSettings cg;
      dealii_learned::LinearSolver::create(cg, context.prm)
        ->solve(problem->system_matrix, problem->solution, problem->system_rhs);
      for (const auto i : problem->solution.locally_owned_elements())
        values.push_back(problem->solution[i]);
      context.out << "  data: " << values.size() << " nodal values\n";
    }

    std::string
    describe_data() const override
    {
      return std::to_string(values.size()) + " values";
    }

    double
    train_epoch() override
    {
      double mean = 0.;
      for (const double u : values)
        mean += u / values.size();
      c -= step * 2. * (c - mean);
      return evaluate();
    }

    double
    evaluate() const override
    {
      double loss = 0.;
      for (const double u : values)
        loss += (c - u) * (c - u) / values.size();
      return loss;
    }

    void
    write_checkpoint(const std::string &checkpoint,
                     const unsigned int epochs_completed,
                     const dealii_learned::ModelMetadata &) const override
    {
      std::ostringstream out;
      out << "epoch " << epochs_completed << " c " << std::hexfloat << c
          << '\n';
      dealii_learned::write_file_atomically(checkpoint + ".mean", out.str());
    }

    std::vector<std::string>
    checkpoint_files(const std::string &checkpoint) const override
    {
      return {checkpoint + ".mean"};
    }

    void
    write_model(const std::string                   &filename,
                const dealii_learned::ModelMetadata &metadata) const override
    {
      std::ostringstream out;
      out << "mean-value-model\nc " << std::hexfloat << c << '\n';
      for (const auto &[key, value] : metadata)
        out << key << ' ' << value << '\n';
      dealii_learned::write_file_atomically(filename, out.str());
    }

  private:
    double              step = 0.25;
    double              c    = 0.;
    std::vector<double> values;
  };
} // namespace user

DEALII_LEARNED_REGISTER_SOLVER(user::MinRes,
                               "user-minres",
                               "MINRES without preconditioner, from a user "
                               "plugin library.")
DEALII_LEARNED_REGISTER_SOLVER(user::ThrowOnLastRank,
                               "user-throw",
                               "Throws on the last MPI rank (failure "
                               "injection for tests).")
DEALII_LEARNED_REGISTER_POSTPROCESSOR(user::ThrowOnLastRankPostprocessor,
                                      "user-throw",
                                      "Throws on the last MPI rank (failure "
                                      "injection for tests).")
DEALII_LEARNED_REGISTER_TRAINER(user::MeanValueTrainer,
                                "mean-value",
                                "The best constant for the nodal values of "
                                "the problem's solution (a tiny trainer from a "
                                "user plugin library).")
DEALII_LEARNED_REGISTER_POSTPROCESSOR(user::NodalMean,
                                      "user-mean",
                                      "Mean nodal value, from a user plugin "
                                      "library.")
