#include <deal.II/base/parameter_handler.h>

#include <deal.II/fe/fe_values.h>

#include <deal.II/grid/grid_generator.h>

#include <dealii-learned/base/coefficients.h>
#include <dealii-learned/problems/jump_coefficient.h>

namespace dealii_learned
{
  using namespace dealii;

  template <int dim>
  void
  JumpCoefficientProblem<dim>::declare_parameters(ParameterHandler &)
  {}


  template <int dim>
  double
  JumpCoefficientProblem<dim>::coefficient(const Point<dim> &p) const
  {
    return jump_coefficient(p, this->settings.coefficient_contrast);
  }


  template <int dim>
  void
  JumpCoefficientProblem<dim>::make_coarse_grid(ProblemTriangulation<dim> &tria)
  {
    GridGenerator::hyper_L(tria, -1., 1.);
  }


  template <int dim>
  void
  JumpCoefficientProblem<dim>::assemble_system()
  {
    this->system_matrix = 0.;
    this->system_rhs    = 0.;

    FEValues<dim> fe_values(this->mapping,
                            *this->fe,
                            this->quadrature,
                            update_values | update_gradients |
                              update_JxW_values);

    const unsigned int dofs_per_cell = this->fe->n_dofs_per_cell();
    FullMatrix<double> cell_matrix(dofs_per_cell, dofs_per_cell);
    Vector<double>     cell_rhs(dofs_per_cell);
    std::vector<types::global_dof_index> dof_indices(dofs_per_cell);

    for (const auto &cell : this->dof_handler.active_cell_iterators())
      if (cell->is_locally_owned())
        {
          fe_values.reinit(cell);
          cell_matrix      = 0.;
          cell_rhs         = 0.;
          const double eps = coefficient(cell->center());

          for (const unsigned int q : fe_values.quadrature_point_indices())
            {
              const double JxW = fe_values.JxW(q);
              for (unsigned int i = 0; i < dofs_per_cell; ++i)
                {
                  const auto grad_i = fe_values.shape_grad(i, q);
                  for (unsigned int j = 0; j <= i; ++j)
                    cell_matrix(i, j) +=
                      eps * grad_i * fe_values.shape_grad(j, q) * JxW;
                  cell_rhs(i) += fe_values.shape_value(i, q) * JxW;
                }
            }
          for (unsigned int i = 0; i < dofs_per_cell; ++i)
            for (unsigned int j = i + 1; j < dofs_per_cell; ++j)
              cell_matrix(i, j) = cell_matrix(j, i);

          cell->get_dof_indices(dof_indices);
          this->constraints.distribute_local_to_global(cell_matrix,
                                                       cell_rhs,
                                                       dof_indices,
                                                       this->system_matrix,
                                                       this->system_rhs);
        }

    this->system_matrix.compress(VectorOperation::add);
    this->system_rhs.compress(VectorOperation::add);
  }


  template <int dim>
  std::vector<std::pair<std::string, Vector<float>>>
  JumpCoefficientProblem<dim>::cell_data() const
  {
    Vector<float> eps(this->triangulation.n_active_cells());
    for (const auto &cell : this->triangulation.active_cell_iterators())
      if (cell->is_locally_owned())
        eps[cell->active_cell_index()] = coefficient(cell->center());
    return {{"coefficient", eps}};
  }

  template class JumpCoefficientProblem<2>;
  template class JumpCoefficientProblem<3>;
} // namespace dealii_learned

DEALII_LEARNED_REGISTER_PROBLEM(
  dealii_learned::JumpCoefficientProblem,
  "jump-coefficient",
  "-div(eps grad u) = 1, u = 0 on the boundary, on the L-shape (2-D) or "
  "Fichera corner (3-D); eps = 'Coefficient contrast' on the quadrants "
  "(octants) whose coordinate signs multiply to a positive number, 1 "
  "elsewhere. Kelly-driven adaptive refinement.")
