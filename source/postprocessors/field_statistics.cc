#include <deal.II/base/parameter_handler.h>

#include <deal.II/dofs/dof_handler.h>

#include <deal.II/fe/fe_values.h>
#include <deal.II/fe/mapping.h>

#include <deal.II/lac/affine_constraints.h>
#include <deal.II/lac/trilinos_vector.h>

#include <dealii-learned/postprocessors/field_statistics.h>

namespace dealii_learned
{
  using namespace dealii;

  template <int dim>
  void
  FieldStatistics<dim>::declare_parameters(ParameterHandler &)
  {}


  template <int dim>
  Statistics
  FieldStatistics<dim>::execute(const FieldContext<dim>       &context,
                                TrilinosWrappers::MPI::Vector &field)
  {
    const TrilinosWrappers::MPI::Vector u = ghosted_copy(context, field);

    FEValues<dim>       fe_values(context.mapping,
                            context.dof_handler.get_fe(),
                            context.quadrature,
                            update_values | update_JxW_values);
    std::vector<double> values(context.quadrature.size());

    double integral = 0., square = 0.;
    for (const auto &cell : context.dof_handler.active_cell_iterators())
      if (cell->is_locally_owned())
        {
          fe_values.reinit(cell);
          fe_values.get_function_values(u, values);
          for (const unsigned int q : fe_values.quadrature_point_indices())
            {
              integral += values[q] * fe_values.JxW(q);
              square += values[q] * values[q] * fe_values.JxW(q);
            }
        }
    integral = Utilities::MPI::sum(integral, context.mpi_communicator);
    square   = Utilities::MPI::sum(square, context.mpi_communicator);

    const std::string &f = context.field_name;
    return {{f + "_integral", integral},
            {f + "_l2_norm", std::sqrt(square)},
            {f + "_max_abs", field.linfty_norm()}};
  }

  template class FieldStatistics<1>;
  template class FieldStatistics<2>;
  template class FieldStatistics<3>;
} // namespace dealii_learned

DEALII_LEARNED_REGISTER_POSTPROCESSOR_1D_2D_3D(
  dealii_learned::FieldStatistics,
  "field-statistics",
  "Integral, L2 norm and largest nodal magnitude of the solution, added to "
  "the summary as <field>_integral, <field>_l2_norm, <field>_max_abs.")
