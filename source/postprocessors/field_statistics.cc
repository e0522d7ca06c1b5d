#include <deal.II/base/parameter_handler.h>

#include <deal.II/dofs/dof_handler.h>

#include <deal.II/fe/fe.h>
#include <deal.II/fe/fe_values.h>
#include <deal.II/fe/mapping.h>

#include <deal.II/lac/affine_constraints.h>
#include <deal.II/lac/trilinos_vector.h>

#include <dealii-learned/postprocessors/field_statistics.h>

#include <cmath>
#include <string>
#include <vector>

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

    const FiniteElement<dim> &fe           = context.dof_handler.get_fe();
    const unsigned int        n_components = fe.n_components();

    FEValues<dim> fe_values(context.mapping,
                            fe,
                            context.quadrature,
                            update_values | update_JxW_values);

    // Per component; a scalar field has one, read with the scalar
    // get_function_values().
    std::vector<double>         integrals(n_components, 0.);
    double                      square = 0.;
    std::vector<double>         values(context.quadrature.size());
    std::vector<Vector<double>> vector_values(context.quadrature.size(),
                                              Vector<double>(n_components));
    for (const auto &cell : context.dof_handler.active_cell_iterators())
      if (cell->is_locally_owned())
        {
          fe_values.reinit(cell);
          if (n_components == 1)
            {
              fe_values.get_function_values(u, values);
              for (const unsigned int q : fe_values.quadrature_point_indices())
                {
                  integrals[0] += values[q] * fe_values.JxW(q);
                  square += values[q] * values[q] * fe_values.JxW(q);
                }
            }
          else
            {
              fe_values.get_function_values(u, vector_values);
              for (const unsigned int q : fe_values.quadrature_point_indices())
                for (unsigned int c = 0; c < n_components; ++c)
                  {
                    integrals[c] += vector_values[q][c] * fe_values.JxW(q);
                    square += vector_values[q][c] * vector_values[q][c] *
                              fe_values.JxW(q);
                  }
            }
        }
    for (double &integral : integrals)
      integral = Utilities::MPI::sum(integral, context.mpi_communicator);
    square = Utilities::MPI::sum(square, context.mpi_communicator);

    const std::string &f = context.field_name;
    Statistics         statistics;
    if (n_components == 1)
      statistics.emplace_back(f + "_integral", integrals[0]);
    else
      for (unsigned int c = 0; c < n_components; ++c)
        statistics.emplace_back(f + "_integral_" + std::to_string(c),
                                integrals[c]);
    statistics.emplace_back(f + "_l2_norm", std::sqrt(square));
    statistics.emplace_back(f + "_max_abs", field.linfty_norm());
    return statistics;
  }

  template class FieldStatistics<1>;
  template class FieldStatistics<2>;
  template class FieldStatistics<3>;
} // namespace dealii_learned

DEALII_LEARNED_REGISTER_POSTPROCESSOR_1D_2D_3D(
  dealii_learned::FieldStatistics,
  "field-statistics",
  "Integral, L2 norm and largest nodal magnitude of the solution, added to "
  "the summary as <field>_integral, <field>_l2_norm, <field>_max_abs; for "
  "a vector-valued solution (elasticity) one integral per component, "
  "<field>_integral_0, _1, ..., and the L2 norm of the vector field.")
