#include <deal.II/base/exceptions.h>

#include <dealii-learned/base/utilities.h>
#include <dealii-learned/constraints/residual_operator.h>

#include <algorithm>
#include <cmath>

namespace dealii_learned
{
  using namespace dealii;

  template <>
  Registry<ResidualOperator<2>> &
  Registry<ResidualOperator<2>>::instance()
  {
    static Registry<ResidualOperator<2>> registry;
    return registry;
  }

  template <>
  Registry<ResidualOperator<3>> &
  Registry<ResidualOperator<3>>::instance()
  {
    static Registry<ResidualOperator<3>> registry;
    return registry;
  }


  template <int dim>
  void
  ResidualOperator<dim>::parse_parameters(ParameterHandler &)
  {}


  template <int dim>
  void
  ResidualOperator<dim>::set_parameters(const std::vector<double> &p)
  {
    const auto names  = parameter_names();
    const auto ranges = parameter_ranges();
    AssertThrow(p.size() == names.size(),
                ExcMessage("The residual takes " +
                           std::to_string(names.size()) + " parameters (" +
                           join(names, ", ") + "), not " +
                           std::to_string(p.size()) + "."));
    for (unsigned int k = 0; k < p.size(); ++k)
      AssertThrow(std::isfinite(p[k]) && p[k] >= ranges[k].first &&
                    p[k] <= ranges[k].second,
                  ExcMessage("The residual's parameter '" + names[k] + "' = " +
                             format_number(p[k]) + " is outside its range [" +
                             format_number(ranges[k].first) + ", " +
                             format_number(ranges[k].second) + "]."));
    parameters = p;
  }


  template <int dim>
  const std::vector<double> &
  ResidualOperator<dim>::get_parameters() const
  {
    return parameters;
  }


  template <int dim>
  double
  ResidualOperator<dim>::parameter(const std::string &name) const
  {
    const auto names = parameter_names();
    const auto it    = std::find(names.begin(), names.end(), name);
    AssertThrow(it != names.end() && static_cast<std::size_t>(
                                       it - names.begin()) < parameters.size(),
                ExcMessage("The residual has no parameter '" + name +
                           "' (it has: " + join(names, ", ") + ")."));
    return parameters[it - names.begin()];
  }


  template <int dim>
  double
  ResidualOperator<dim>::boundary_value(const Point<dim> &) const
  {
    return 0.;
  }


  template <int dim>
  bool
  ResidualOperator<dim>::has_previous_state() const
  {
    return false;
  }


  template <int dim>
  double
  ResidualOperator<dim>::previous_state(const Point<dim> &) const
  {
    AssertThrow(false,
                ExcMessage("This residual is not a time step: it has no "
                           "previous state."));
    return 0.;
  }


  template <int dim>
  std::vector<std::string>
  ResidualOperator<dim>::network_parameter_names() const
  {
    return parameter_names();
  }


  template <int dim>
  std::vector<std::string>
  ResidualOperator<dim>::feature_names() const
  {
    return {};
  }


  template <int dim>
  std::vector<double>
  ResidualOperator<dim>::point_features(const Point<dim> &) const
  {
    return {};
  }


  namespace ResidualOperators
  {
    void
    declare_parameters(ParameterHandler &prm)
    {
      const auto &registry = Registry<ResidualOperator<2>>::instance();
      const auto  names    = registry.names();
      prm.declare_entry("Residual",
                        names.empty() ? std::string("") : names.front(),
                        Patterns::Selection(registry.selection_pattern()),
                        "The PDE whose weak residual the hard constraints "
                        "enforce:" +
                          registry.documentation());
      registry.declare_parameters(prm);
    }


    template <int dim>
    std::unique_ptr<ResidualOperator<dim>>
    create(ParameterHandler &prm, const std::string &section)
    {
      std::unique_ptr<ResidualOperator<dim>> op;
      if (section.empty())
        {
          // From the current subsection: `Residual` and `<name>` here.
          const std::string name = prm.get("Residual");
          op = Registry<ResidualOperator<dim>>::instance().get(name).create();
          prm.enter_subsection(name);
          try
            {
              op->parse_parameters(prm);
            }
          catch (...)
            {
              prm.leave_subsection();
              throw;
            }
          prm.leave_subsection();
        }
      else
        {
          prm.enter_subsection(section);
          const std::string name = prm.get("Residual");
          prm.leave_subsection();
          op = Registry<ResidualOperator<dim>>::instance().create_configured(
            name, prm, section);
        }
      std::vector<double> middle;
      for (const auto &[low, high] : op->parameter_ranges())
        middle.push_back(0.5 * (low + high));
      op->set_parameters(middle);
      return op;
    }


    template std::unique_ptr<ResidualOperator<2>>
    create(ParameterHandler &, const std::string &);
    template std::unique_ptr<ResidualOperator<3>>
    create(ParameterHandler &, const std::string &);
  } // namespace ResidualOperators


  template class ResidualOperator<2>;
  template class ResidualOperator<3>;
} // namespace dealii_learned
