#include <deal.II/base/parameter_handler.h>
#include <deal.II/base/utilities.h>

#include <dealii-learned/base/utilities.h>
#include <dealii-learned/solvers/solver_hook.h>

#include <algorithm>

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


  const SolverReport &
  SolverHook::last_report() const
  {
    return report;
  }


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
          Patterns::Selection(dealii_learned::join(preconditioner_names(), "|")),
          "Preconditioner of the classical `cg' method: none, jacobi, ssor, "
          "ic (incomplete Cholesky) or amg (algebraic multigrid, Trilinos "
          "ML). Learned methods ignore it.");
        prm.declare_entry("Relative tolerance",
                          "1e-8",
                          Patterns::Double(1e-300, 1.),
                          "Stop when ||b - A x|| <= tolerance * ||b||; "
                          "greater than 0, at most 1.");
        prm.declare_entry("Maximum iterations",
                          "10000",
                          Patterns::Integer(1),
                          "Iterations after which a solve that has not "
                          "converged stops with an error.");
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
      settings.max_iterations     = prm.get_integer("Maximum iterations");
      prm.leave_subsection();
      return settings;
    }


    std::vector<SolverSettings>
    parse_comparisons(ParameterHandler &prm)
    {
      const SolverSettings base = parse_settings(prm);
      prm.enter_subsection("Linear solver");
      const auto items = Utilities::split_string_list(prm.get("Compare with"));
      prm.leave_subsection();

      std::vector<SolverSettings> result;
      for (const auto &item : items)
        {
          SolverSettings s = base;
          const auto     colon = item.find(':');
          s.method             = Utilities::trim(item.substr(0, colon));
          if (colon != std::string::npos)
            s.preconditioner = Utilities::trim(item.substr(colon + 1));

          AssertThrow(Registry<SolverHook>::instance().contains(s.method),
                      ExcMessage(
                        "Linear solver/Compare with: unknown method '" +
                        s.method + "' in '" + item + "'. Known methods: " +
                        Registry<SolverHook>::instance().selection_pattern() +
                        "."));
          const auto &p = preconditioner_names();
          AssertThrow(std::find(p.begin(), p.end(), s.preconditioner) !=
                        p.end(),
                      ExcMessage(
                        "Linear solver/Compare with: unknown preconditioner '" +
                        s.preconditioner + "' in '" + item +
                        "'. Known preconditioners: " +
                        dealii_learned::join(p, "|") + "."));
          result.push_back(s);
        }
      return result;
    }


    std::unique_ptr<SolverHook>
    create(const SolverSettings &settings, ParameterHandler &prm)
    {
      const auto &entry = Registry<SolverHook>::instance().get(settings.method);
      std::unique_ptr<SolverHook> hook = entry.create();
      prm.enter_subsection("Linear solver");
      prm.enter_subsection(settings.method);
      try
        {
          hook->parse_parameters(prm);
        }
      catch (...)
        {
          // A refused parameter (e.g. a broken model file) must not leave
          // the caller's ParameterHandler inside this subsection.
          prm.leave_subsection();
          prm.leave_subsection();
          throw;
        }
      prm.leave_subsection();
      prm.leave_subsection();
      hook->set_settings(settings);
      return hook;
    }


    std::unique_ptr<SolverHook>
    create(ParameterHandler &prm)
    {
      return create(parse_settings(prm), prm);
    }
  } // namespace LinearSolver
} // namespace dealii_learned
