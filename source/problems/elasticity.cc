#include <deal.II/base/function.h>
#include <deal.II/base/parameter_handler.h>

#include <deal.II/fe/fe_q.h>
#include <deal.II/fe/fe_system.h>
#include <deal.II/fe/fe_values.h>

#include <deal.II/grid/grid_generator.h>

#include <deal.II/numerics/vector_tools.h>

#include <dealii-learned/base/coefficients.h>
#include <dealii-learned/problems/elasticity.h>
#include <dealii-learned/problems/rigid_body_modes.h>

#include <string>

namespace dealii_learned
{
  using namespace dealii;

  template <int dim>
  void
  ElasticityProblem<dim>::declare_parameters(ParameterHandler &prm)
  {
    prm.declare_entry("Lame lambda",
                      "1",
                      Patterns::Double(0.),
                      "The first Lame parameter lambda (resistance to a "
                      "change of volume) of the soft material; the stiff "
                      "orthants have 'Problem/Coefficient contrast' times "
                      "this value. Large lambda / mu approaches the "
                      "incompressible limit, where Q1 locks.");
    prm.declare_entry("Lame mu",
                      "1",
                      Patterns::Double(0.),
                      "The shear modulus mu (> 0) of the soft material; the "
                      "stiff orthants have 'Problem/Coefficient contrast' "
                      "times this value.");
  }


  template <int dim>
  void
  ElasticityProblem<dim>::parse_parameters(ParameterHandler &prm)
  {
    lambda = prm.get_double("Lame lambda");
    mu     = prm.get_double("Lame mu");
    AssertThrow(mu > 0.,
                ExcMessage("Problem/elasticity/Lame mu must be positive (a "
                           "material without shear stiffness has no unique "
                           "displacement), not " +
                           std::to_string(mu) + "."));
  }


  template <int dim>
  double
  ElasticityProblem<dim>::lame_lambda(const Point<dim> &p) const
  {
    return lambda * jump_coefficient(p, this->settings.coefficient_contrast);
  }


  template <int dim>
  double
  ElasticityProblem<dim>::lame_mu(const Point<dim> &p) const
  {
    return mu * jump_coefficient(p, this->settings.coefficient_contrast);
  }


  template <int dim>
  std::unique_ptr<FiniteElement<dim>>
  ElasticityProblem<dim>::make_finite_element() const
  {
    const unsigned int degree = this->settings.fe_degree;
    AssertThrow(degree == 1 || degree == 2,
                ExcMessage("The elasticity problem has Q1 and Q2 elements "
                           "('Problem/Finite element degree' 1 or 2), not " +
                           std::to_string(degree) +
                           ": from degree 3 on, FESystem does not number the "
                           "components of a support point consecutively, "
                           "which the solvers' component count assumes."));
    return std::make_unique<FESystem<dim>>(FE_Q<dim>(degree), dim);
  }


  template <int dim>
  void
  ElasticityProblem<dim>::make_coarse_grid(ProblemTriangulation<dim> &tria)
  {
    // colorize: boundary id 0 on x = -1, 1 on x = 1, 2 and 3 on y = -1 and
    // 1, and so on.
    GridGenerator::subdivided_hyper_cube(tria, 2, -1., 1., /*colorize=*/true);
  }


  template <int dim>
  void
  ElasticityProblem<dim>::make_boundary_constraints(
    AffineConstraints<double> &boundary_constraints) const
  {
    VectorTools::interpolate_boundary_values(this->mapping,
                                             this->dof_handler,
                                             clamped_boundary,
                                             Functions::ZeroFunction<dim>(dim),
                                             boundary_constraints);
  }


  template <int dim>
  SystemStructure
  ElasticityProblem<dim>::system_structure() const
  {
    return rigid_body_modes<dim>(this->mapping, this->dof_handler);
  }


  template <int dim>
  void
  ElasticityProblem<dim>::assemble_system()
  {
    this->system_matrix = 0.;
    this->system_rhs    = 0.;

    const FiniteElement<dim> &fe = *this->fe;
    FEValues<dim>             fe_values(this->mapping,
                            fe,
                            this->quadrature,
                            update_values | update_gradients |
                              update_JxW_values);

    const unsigned int dofs_per_cell = fe.n_dofs_per_cell();
    FullMatrix<double> cell_matrix(dofs_per_cell, dofs_per_cell);
    Vector<double>     cell_rhs(dofs_per_cell);
    std::vector<types::global_dof_index> dof_indices(dofs_per_cell);

    // Every shape function of FESystem(FE_Q, dim) is nonzero in one
    // component only: phi_i = phi_i e_c(i).
    std::vector<unsigned int> component(dofs_per_cell);
    for (unsigned int i = 0; i < dofs_per_cell; ++i)
      component[i] = fe.system_to_component_index(i).first;
    // The weight f = -e_(dim-1).
    const unsigned int vertical = dim - 1;

    for (const auto &cell : this->dof_handler.active_cell_iterators())
      if (cell->is_locally_owned())
        {
          fe_values.reinit(cell);
          cell_matrix              = 0.;
          cell_rhs                 = 0.;
          const double cell_lambda = lame_lambda(cell->center());
          const double cell_mu     = lame_mu(cell->center());

          // With u = phi_j e_b and v = phi_i e_a (a = c(i), b = c(j)):
          //   2 mu eps(u) : eps(v) = mu (d_a phi_j d_b phi_i
          //                              + delta_ab grad phi_i . grad phi_j),
          //   lambda div u div v   = lambda d_a phi_i d_b phi_j,
          // which is symmetric in i and j: the lower triangle is computed
          // and mirrored, so that the matrix is symmetric to the last bit.
          for (const unsigned int q : fe_values.quadrature_point_indices())
            {
              const double JxW = fe_values.JxW(q);
              for (unsigned int i = 0; i < dofs_per_cell; ++i)
                {
                  const unsigned int a      = component[i];
                  const auto        &grad_i = fe_values.shape_grad(i, q);
                  for (unsigned int j = 0; j <= i; ++j)
                    {
                      const unsigned int b      = component[j];
                      const auto        &grad_j = fe_values.shape_grad(j, q);
                      double value = cell_lambda * grad_i[a] * grad_j[b] +
                                     cell_mu * grad_i[b] * grad_j[a];
                      if (a == b)
                        value += cell_mu * (grad_i * grad_j);
                      cell_matrix(i, j) += value * JxW;
                    }
                  if (a == vertical)
                    cell_rhs(i) -= fe_values.shape_value(i, q) * JxW;
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
  ElasticityProblem<dim>::cell_data() const
  {
    Vector<float> cell_mu(this->triangulation.n_active_cells());
    for (const auto &cell : this->triangulation.active_cell_iterators())
      if (cell->is_locally_owned())
        cell_mu[cell->active_cell_index()] = lame_mu(cell->center());
    return {{"lame_mu", cell_mu}};
  }

  template class ElasticityProblem<2>;
  template class ElasticityProblem<3>;
} // namespace dealii_learned

DEALII_LEARNED_REGISTER_PROBLEM(
  dealii_learned::ElasticityProblem,
  "elasticity",
  "Linear isotropic elasticity -div(2 mu eps(u) + lambda div(u) I) = f "
  "(deal.II's step-8) on [-1,1]^d with FESystem(FE_Q, d) (Q1 or Q2): a "
  "cantilever clamped at x = -1, traction-free elsewhere, under its own "
  "weight f = -e_d; 'Lame lambda' and 'Lame mu' times 'Coefficient "
  "contrast' on the orthants whose coordinate signs multiply to a positive "
  "number. Gives the solvers the rigid-body modes as near-null space. "
  "Kelly-driven adaptive refinement.")
