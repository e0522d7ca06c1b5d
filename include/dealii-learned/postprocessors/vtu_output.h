#pragma once

#include <dealii-learned/postprocessors/postprocessor_hook.h>

DEAL_II_NAMESPACE_OPEN
template <int dim, int spacedim>
class DataOut;
DEAL_II_NAMESPACE_CLOSE

namespace dealii_learned
{
  /**
   * Writes @p data_out (patches built) as `<prefix>-<cycle>.vtu` on one
   * rank, or one `<prefix>-<cycle>.<rank>.vtu` per rank plus a
   * `<prefix>-<cycle>.pvtu` record, in the context's output directory,
   * every file through a temporary name. Collective.
   */
  template <int dim>
  void
  write_vtu(const dealii::DataOut<dim, dim> &data_out,
            const FieldContext<dim>         &context,
            const std::string               &prefix);


  /**
   * Writes the field, the MPI subdomain and the context's cell data as VTU
   * for ParaView: `<prefix>-<cycle>.vtu` on one rank, and one
   * `<prefix>-<cycle>.<rank>.vtu` per rank plus a `<prefix>-<cycle>.pvtu`
   * record under MPI. Every file is written under a temporary name and
   * renamed when complete, so a viewer or a crashed run never leaves a
   * half-written file behind.
   */
  template <int dim>
  class VtuOutput : public PostprocessorHook<dim>
  {
  public:
    static void
    declare_parameters(dealii::ParameterHandler &prm);

    void
    parse_parameters(dealii::ParameterHandler &prm) override;

    Statistics
    execute(const FieldContext<dim>               &context,
            dealii::TrilinosWrappers::MPI::Vector &field) override;

  private:
    std::string  prefix       = "solution";
    unsigned int subdivisions = 0;
  };
} // namespace dealii_learned
