#include <deal.II/base/index_set.h>
#include <deal.II/base/mpi.h>

#include <deal.II/lac/affine_constraints.h>

#include <dealii-learned/constraints/basis_smoother.h>
#include <dealii-learned/constraints/residual_operator.h>

#include <cmath>

namespace dealii_learned
{
  using namespace dealii;


  template <int dim>
  BasisSmoother<dim>::BasisSmoother(const ResidualOperator<dim>   &residual,
                                    const FiniteElementSpace<dim> &space)
    : space(space)
  {
    TrilinosWrappers::MPI::Vector boundary(space.locally_owned,
                                           space.mpi_communicator),
      unused;
    space.constraints.distribute(boundary);
    TrilinosWrappers::MPI::Vector u(space.locally_owned,
                                    space.locally_relevant,
                                    space.mpi_communicator);
    u = boundary;
    reinit_jacobian(space, jacobian);
    assemble_residual(residual, space, u, unused, &jacobian);
    inverse_diagonal.reinit(space.locally_owned, space.mpi_communicator);
    bool positive = true;
    for (const auto i : space.locally_owned)
      {
        const double d      = jacobian.diag_element(i);
        positive            = positive && d > 0. && std::isfinite(d);
        inverse_diagonal[i] = d > 0. ? 1. / d : 0.;
      }
    inverse_diagonal.compress(VectorOperation::insert);
    AssertThrow(Utilities::MPI::min(positive ? 1 : 0, space.mpi_communicator) >
                  0,
                ExcMessage("Basis smoothing: the residual's Jacobian at the "
                           "boundary values has a diagonal entry that is not "
                           "positive; damped Jacobi needs a positive "
                           "diagonal. Train with `Basis smoothing steps = "
                           "0` (a model trained with smoothing needs it)."));
  }


  template <int dim>
  unsigned int
  BasisSmoother<dim>::n_rows() const
  {
    return space.locally_relevant.n_elements();
  }


  template <int dim>
  void
  BasisSmoother<dim>::column_to_vector(const double                  *B,
                                       const unsigned int             b,
                                       TrilinosWrappers::MPI::Vector &v) const
  {
    v.reinit(space.locally_owned, space.mpi_communicator);
    const auto &relevant = space.locally_relevant;
    for (const auto i : space.locally_owned)
      v[i] = B[std::size_t(relevant.index_within_set(i)) * N + b];
    v.compress(VectorOperation::insert);
  }


  template <int dim>
  void
  BasisSmoother<dim>::forward(const double              *B,
                              const unsigned int         n_basis,
                              const std::vector<double> &omega,
                              double                    *result,
                              const bool                 keep)
  {
    N      = n_basis;
    omegas = omega;
    history.assign(keep ? omega.size() : 0,
                   std::vector<TrilinosWrappers::MPI::Vector>(N));
    const auto                   &relevant = space.locally_relevant;
    TrilinosWrappers::MPI::Vector x,
      y(space.locally_owned, space.mpi_communicator);
    TrilinosWrappers::MPI::Vector ghosted(space.locally_owned,
                                          relevant,
                                          space.mpi_communicator);
    for (unsigned int b = 0; b < N; ++b)
      {
        column_to_vector(B, b, x);
        for (unsigned int k = 0; k < omega.size(); ++k)
          {
            jacobian.vmult(y, x);
            y.scale(inverse_diagonal);
            if (keep)
              history[k][b] = y;
            x.add(-omega[k], y);
          }
        ghosted        = x;
        unsigned int r = 0;
        for (const auto i : relevant)
          result[std::size_t(r++) * N + b] = ghosted[i];
      }
  }


  template <int dim>
  void
  BasisSmoother<dim>::backward(const double        *dl_dB,
                               double              *dl_dB0,
                               std::vector<double> &dl_domega) const
  {
    AssertThrow(history.size() == omegas.size(),
                ExcMessage("Basis smoothing: backward() needs a forward() "
                           "that kept its steps."));
    const auto    &relevant = space.locally_relevant;
    const MPI_Comm comm     = space.mpi_communicator;
    std::fill(dl_dB0, dl_dB0 + std::size_t(n_rows()) * N, 0.);
    dl_domega.assign(omegas.size(), 0.);
    TrilinosWrappers::MPI::Vector g(space.locally_owned, comm), t(g), s(g);
    std::vector<types::global_dof_index> indices(relevant.begin(),
                                                 relevant.end());
    std::vector<double>                  values(indices.size());
    for (unsigned int b = 0; b < N; ++b)
      {
        // The copies of every relevant row summed into its owner.
        g = 0.;
        for (std::size_t r = 0; r < values.size(); ++r)
          values[r] = dl_dB[r * N + b];
        g.add(indices, values);
        g.compress(VectorOperation::add);
        // Step k backwards: g_k = g_{k+1} - omega_k J^T D^-1 g_{k+1},
        // dL/domega_k = -g_{k+1} . D^-1 J B_k.
        // (This rank's share of dL/domega: its owned entries; summed
        // over the ranks it is the total, like the network's other
        // parameters under data parallelism.)
        for (int k = static_cast<int>(omegas.size()) - 1; k >= 0; --k)
          {
            for (const auto i : space.locally_owned)
              dl_domega[k] -= g[i] * history[k][b][i];
            s = g;
            s.scale(inverse_diagonal);
            jacobian.Tvmult(t, s);
            g.add(-omegas[k], t);
          }
        for (const auto i : space.locally_owned)
          dl_dB0[std::size_t(relevant.index_within_set(i)) * N + b] = g[i];
      }
  }


  template class BasisSmoother<2>;
  template class BasisSmoother<3>;
} // namespace dealii_learned
