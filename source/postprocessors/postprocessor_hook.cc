#include <deal.II/base/parameter_handler.h>

#include <deal.II/lac/trilinos_vector.h>

#include <dealii-learned/postprocessors/postprocessor_hook.h>

namespace dealii_learned
{
  using namespace dealii;

  template <>
  Registry<PostprocessorHook<2>> &
  Registry<PostprocessorHook<2>>::instance()
  {
    static Registry<PostprocessorHook<2>> registry;
    return registry;
  }

  template <>
  Registry<PostprocessorHook<3>> &
  Registry<PostprocessorHook<3>>::instance()
  {
    static Registry<PostprocessorHook<3>> registry;
    return registry;
  }


  template <int dim>
  void
  PostprocessorHook<dim>::parse_parameters(ParameterHandler &)
  {}


  template <int dim>
  TrilinosWrappers::MPI::Vector
  ghosted_copy(const FieldContext<dim> &context,
               const TrilinosWrappers::MPI::Vector &field)
  {
    TrilinosWrappers::MPI::Vector ghosted(context.locally_owned_dofs,
                                          context.locally_relevant_dofs,
                                          context.mpi_communicator);
    ghosted = field;
    return ghosted;
  }


  namespace PostprocessorParameters
  {
    void
    declare_parameters(ParameterHandler &prm)
    {
      const auto &registry = Registry<PostprocessorHook<2>>::instance();
      prm.enter_subsection("Postprocessors");
      prm.declare_entry(
        "List of postprocessors",
        "field-statistics, vtu-output",
        Patterns::MultipleSelection(registry.selection_pattern()),
        "Postprocessors run on the solution after every solve, in the order "
        "given. Each has its parameters in the subsection of the same name. "
        "Registered postprocessors:" +
          registry.documentation());
      registry.declare_parameters(prm);
      prm.leave_subsection();
    }


    template <int dim>
    std::vector<std::pair<std::string, std::unique_ptr<PostprocessorHook<dim>>>>
    create(ParameterHandler &prm)
    {
      std::vector<
        std::pair<std::string, std::unique_ptr<PostprocessorHook<dim>>>>
        result;
      prm.enter_subsection("Postprocessors");
      for (const auto &name :
           Utilities::split_string_list(prm.get("List of postprocessors")))
        {
          auto hook = Registry<PostprocessorHook<dim>>::instance().get(name).create();
          prm.enter_subsection(name);
          hook->parse_parameters(prm);
          prm.leave_subsection();
          result.emplace_back(name, std::move(hook));
        }
      prm.leave_subsection();
      return result;
    }
  } // namespace PostprocessorParameters


  template class PostprocessorHook<2>;
  template class PostprocessorHook<3>;
  template TrilinosWrappers::MPI::Vector
  ghosted_copy(const FieldContext<2> &, const TrilinosWrappers::MPI::Vector &);
  template TrilinosWrappers::MPI::Vector
  ghosted_copy(const FieldContext<3> &, const TrilinosWrappers::MPI::Vector &);
  template std::vector<
    std::pair<std::string, std::unique_ptr<PostprocessorHook<2>>>>
  PostprocessorParameters::create<2>(ParameterHandler &);
  template std::vector<
    std::pair<std::string, std::unique_ptr<PostprocessorHook<3>>>>
  PostprocessorParameters::create<3>(ParameterHandler &);
} // namespace dealii_learned
