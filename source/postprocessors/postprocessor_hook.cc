#include <deal.II/base/parameter_handler.h>

#include <deal.II/lac/trilinos_vector.h>

#include <dealii-learned/base/collective.h>
#include <dealii-learned/postprocessors/postprocessor_hook.h>

namespace dealii_learned
{
  using namespace dealii;

  template <>
  Registry<PostprocessorHook<1>> &
  Registry<PostprocessorHook<1>>::instance()
  {
    static Registry<PostprocessorHook<1>> registry;
    return registry;
  }

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
  ghosted_copy(const FieldContext<dim>             &context,
               const TrilinosWrappers::MPI::Vector &field)
  {
    TrilinosWrappers::MPI::Vector ghosted(context.locally_owned_dofs,
                                          context.locally_relevant_dofs,
                                          context.mpi_communicator);
    ghosted = field;
    return ghosted;
  }


  namespace
  {
    /**
     * What PostprocessorParameters::create() returns: the created
     * postprocessor, executed under abort_on_lone_failure().
     */
    template <int dim>
    class GuardedPostprocessor : public PostprocessorHook<dim>
    {
    public:
      GuardedPostprocessor(const std::string                      &name,
                           std::unique_ptr<PostprocessorHook<dim>> hook)
        : name(name)
        , hook(std::move(hook))
      {}

      Statistics
      execute(const FieldContext<dim>       &context,
              TrilinosWrappers::MPI::Vector &field) override
      {
        Statistics statistics;
        abort_on_lone_failure(context.mpi_communicator,
                              "Postprocessor '" + name + "'",
                              [&]() {
                                statistics = hook->execute(context, field);
                              });
        return statistics;
      }

    private:
      const std::string                       name;
      std::unique_ptr<PostprocessorHook<dim>> hook;
    };
  } // namespace


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
    create(ParameterHandler &prm, const MPI_Comm &comm)
    {
      std::vector<
        std::pair<std::string, std::unique_ptr<PostprocessorHook<dim>>>>
        result;
      prm.enter_subsection("Postprocessors");
      const auto names =
        Utilities::split_string_list(prm.get("List of postprocessors"));
      prm.leave_subsection();
      for (const auto &name : names)
        {
          std::unique_ptr<PostprocessorHook<dim>> hook;
          decide_collectively(comm, [&]() {
            hook =
              Registry<PostprocessorHook<dim>>::instance().create_configured(
                name, prm, "Postprocessors");
          });
          result.emplace_back(
            name,
            std::make_unique<GuardedPostprocessor<dim>>(name, std::move(hook)));
        }
      return result;
    }
  } // namespace PostprocessorParameters


  template class PostprocessorHook<1>;
  template class PostprocessorHook<2>;
  template class PostprocessorHook<3>;
  template TrilinosWrappers::MPI::Vector
  ghosted_copy(const FieldContext<1> &, const TrilinosWrappers::MPI::Vector &);
  template TrilinosWrappers::MPI::Vector
  ghosted_copy(const FieldContext<2> &, const TrilinosWrappers::MPI::Vector &);
  template TrilinosWrappers::MPI::Vector
  ghosted_copy(const FieldContext<3> &, const TrilinosWrappers::MPI::Vector &);
  template std::vector<
    std::pair<std::string, std::unique_ptr<PostprocessorHook<1>>>>
  PostprocessorParameters::create<1>(ParameterHandler &, const MPI_Comm &);
  template std::vector<
    std::pair<std::string, std::unique_ptr<PostprocessorHook<2>>>>
  PostprocessorParameters::create<2>(ParameterHandler &, const MPI_Comm &);
  template std::vector<
    std::pair<std::string, std::unique_ptr<PostprocessorHook<3>>>>
  PostprocessorParameters::create<3>(ParameterHandler &, const MPI_Comm &);
} // namespace dealii_learned
