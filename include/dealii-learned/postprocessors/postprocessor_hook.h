#pragma once

#include <deal.II/base/config.h>

#include <deal.II/base/index_set.h>
#include <deal.II/base/mpi.h>

#include <dealii-learned/base/registry.h>

#include <optional>
#include <string>
#include <utility>
#include <vector>

DEAL_II_NAMESPACE_OPEN
template <int dim, int spacedim>
class DoFHandler;
template <int dim, int spacedim>
class Mapping;
template <int dim>
class Quadrature;
template <typename number>
class AffineConstraints;
template <typename number>
class Vector;
namespace TrilinosWrappers
{
  namespace MPI
  {
    class Vector;
  }
} // namespace TrilinosWrappers
DEAL_II_NAMESPACE_CLOSE

namespace dealii_learned
{
  class GaussianField;

  /**
   * What a postprocessor may look at: the host program's discretisation
   * (DoFHandler, Mapping, AffineConstraints, Quadrature) and where it is in
   * its run. All members are references to the host's objects, valid for
   * the duration of one execute() call.
   */
  template <int dim>
  struct FieldContext
  {
    MPI_Comm                                 mpi_communicator;
    const dealii::DoFHandler<dim, dim>      &dof_handler;
    const dealii::Mapping<dim, dim>         &mapping;
    const dealii::AffineConstraints<double> &constraints;
    const dealii::Quadrature<dim>           &quadrature;
    const dealii::IndexSet                  &locally_owned_dofs;
    const dealii::IndexSet                  &locally_relevant_dofs;

    /** Refinement cycle or time step number, used in file names. */
    unsigned int cycle = 0;
    /** Physical time, for time-dependent hosts. */
    double time = 0.;
    /** Where postprocessors that write files put them. */
    std::string output_directory = ".";
    /** Name of the field in output. */
    std::string field_name = "solution";
    /** Extra cell-wise data (coefficients, error indicators) for output. */
    std::vector<std::pair<std::string, const dealii::Vector<float> *>>
      cell_data;

    /**
     * @name What postprocessors that compare or correct the field
     * (prob-conserv) may use, when the host has it
     */
    /** @{ */
    /** The integral of the field over the domain that the conservation
     *  law prescribes at this time. */
    std::optional<double> conserved_integral;
    /** Integrals over the cells of a material id that the law prescribes
     *  (extra conservation rows). */
    std::vector<std::pair<dealii::types::material_id, double>>
      subdomain_integrals;
    /** The PDE's parameters by name (inputs of probabilistic models). */
    std::vector<std::pair<std::string, double>> parameters;
    /** A reference field, e.g. the exact solution (locally owned layout). */
    const dealii::TrilinosWrappers::MPI::Vector *reference = nullptr;
    /** The host's own probabilistic prediction of the field. */
    const GaussianField *prior = nullptr;
    /** @} */
  };


  /** Named scalars a postprocessor reports; they join the run summary. */
  using Statistics = std::vector<std::pair<std::string, double>>;


  /**
   * The postprocessor hook: acts on a field after a solve or a time step.
   * It may only read the field (statistics, output) or change it (for
   * example a projection that enforces a conservation law).
   *
   * The field is the locally owned Trilinos vector with constraints already
   * distributed; a postprocessor that needs values on ghost DoFs makes a
   * ghosted copy with ghosted_copy(). Implementations are registered for
   * dim = 2 and 3 with DEALII_LEARNED_REGISTER_POSTPROCESSOR (and for 1-D
   * problems too with DEALII_LEARNED_REGISTER_POSTPROCESSOR_1D_2D_3D) and
   * provide a static `declare_parameters(ParameterHandler &)` for their
   * subsection.
   */
  template <int dim>
  class PostprocessorHook
  {
  public:
    virtual ~PostprocessorHook() = default;

    /** Called once, inside `Postprocessors/<name>`. */
    virtual void
    parse_parameters(dealii::ParameterHandler &prm);

    virtual Statistics
    execute(const FieldContext<dim>               &context,
            dealii::TrilinosWrappers::MPI::Vector &field) = 0;
  };


  /** A ghosted copy of @p field, for evaluation on locally owned cells. */
  template <int dim>
  dealii::TrilinosWrappers::MPI::Vector
  ghosted_copy(const FieldContext<dim>                     &context,
               const dealii::TrilinosWrappers::MPI::Vector &field);


  /** The `subsection Postprocessors` parameters. */
  namespace PostprocessorParameters
  {
    /**
     * Declares `List of postprocessors` and the subsections of all
     * registered postprocessors.
     */
    void
    declare_parameters(dealii::ParameterHandler &prm);

    /**
     * Creates the listed postprocessors, in the order given. Under MPI,
     * call it on every rank of @p comm: whether a postprocessor's
     * parameters could be read is decided on all ranks together
     * (decide_collectively()). Each postprocessor returned executes under
     * abort_on_lone_failure(): an exception raised on some ranks only ends
     * the job with the message and the rank, instead of a hang.
     */
    template <int dim>
    std::vector<std::pair<std::string, std::unique_ptr<PostprocessorHook<dim>>>>
    create(dealii::ParameterHandler &prm,
           const MPI_Comm           &comm = MPI_COMM_WORLD);
  } // namespace PostprocessorParameters

  template <>
  Registry<PostprocessorHook<1>> &
  Registry<PostprocessorHook<1>>::instance();
  template <>
  Registry<PostprocessorHook<2>> &
  Registry<PostprocessorHook<2>>::instance();
  template <>
  Registry<PostprocessorHook<3>> &
  Registry<PostprocessorHook<3>>::instance();
} // namespace dealii_learned

/**
 * Registers a postprocessor class template (instantiated for dim = 2 and 3)
 * under a name, with a description.
 */
#define DEALII_LEARNED_REGISTER_POSTPROCESSOR(ClassTemplate,  \
                                              name,           \
                                              description)    \
  namespace                                                   \
  {                                                           \
    const ::dealii_learned::RegistrationHelper<               \
      ::dealii_learned::PostprocessorHook<2>,                 \
      ClassTemplate<2>>                                       \
      DEALII_LEARNED_CONCAT(dealii_learned_postprocessor_2d_, \
                            __LINE__)(name, description);     \
    const ::dealii_learned::RegistrationHelper<               \
      ::dealii_learned::PostprocessorHook<3>,                 \
      ClassTemplate<3>>                                       \
      DEALII_LEARNED_CONCAT(dealii_learned_postprocessor_3d_, \
                            __LINE__)(name, description);     \
  }

/** As DEALII_LEARNED_REGISTER_POSTPROCESSOR, and for 1-D problems too (the
 *  class template must then compile for dim = 1). */
#define DEALII_LEARNED_REGISTER_POSTPROCESSOR_1D_2D_3D(ClassTemplate,     \
                                                       name,              \
                                                       description)       \
  DEALII_LEARNED_REGISTER_POSTPROCESSOR(ClassTemplate, name, description) \
  namespace                                                               \
  {                                                                       \
    const ::dealii_learned::RegistrationHelper<                           \
      ::dealii_learned::PostprocessorHook<1>,                             \
      ClassTemplate<1>>                                                   \
      DEALII_LEARNED_CONCAT(dealii_learned_postprocessor_1d_,             \
                            __LINE__)(name, description);                 \
  }
