#pragma once

#include <deal.II/lac/trilinos_sparse_matrix.h>
#include <deal.II/lac/trilinos_vector.h>

#include <dealii-learned/constraints/residual_assembly.h>

#include <vector>

namespace dealii_learned
{
  /**
   * Message passing on the DoF graph with the problem's own operator: basis
   * fields B (one row per locally relevant DoF, N columns, row-major, as the
   * hard-constraint layer takes them) after steps of damped Jacobi with
   * the residual's Jacobian J at the boundary values,
   *
   *   B_{k+1} = B_k - omega_k D^-1 J B_k,   k = 0, ..., steps - 1,
   *
   * D = diag(J), the omega_k learned with the network. A step mixes each
   * DoF's value with its neighbours' in the proportions of the
   * coefficient, so after k steps a basis field carries what the
   * coefficient is within k cells: across a jump of the coefficient the
   * fields take the kink of the solution, which a network evaluated
   * pointwise cannot place.
   *
   * Only the locally owned rows of B_0 are read (a ghost row is another
   * rank's owned row); the result holds every relevant row (ghosts from
   * their owners), so the same fields come out on any number of ranks.
   * backward() gives dL/dB_0 (on the owned rows; 0 on ghosts, which the
   * forward pass does not read) and this rank's share of dL/domega from
   * dL/dB (this rank's copy of each relevant row, as
   * HardConstraintLayer::backward() gives it: the copies are summed into
   * their owners first). Collective.
   */
  template <int dim>
  class BasisSmoother
  {
  public:
    /** Assembles J at the boundary values of @p residual's current
     *  parameters (call again when they change). */
    BasisSmoother(const ResidualOperator<dim>   &residual,
                  const FiniteElementSpace<dim> &space);

    /** B_steps (n_rows x @p n_basis) from @p B (the same shape), one step
     *  per entry of @p omega; with @p keep, the intermediate fields stay
     *  for backward(). */
    void
    forward(const double              *B,
            const unsigned int         n_basis,
            const std::vector<double> &omega,
            double                    *result,
            const bool                 keep = false);

    /** dL/dB_0 (@p dl_dB0) and dL/domega (@p dl_domega, this rank's
     *  share: summed over the ranks it is the total) from @p dl_dB at the
     *  last forward() with keep. */
    void
    backward(const double        *dl_dB,
             double              *dl_dB0,
             std::vector<double> &dl_domega) const;

    /** Rows of B: the locally relevant DoFs. */
    unsigned int
    n_rows() const;

    /** The space it works on. */
    const FiniteElementSpace<dim> &
    get_space() const
    {
      return space;
    }

  private:
    /** Column @p b of the row-major @p B (relevant rows) into @p v
     *  (locally owned). */
    void
    column_to_vector(const double                          *B,
                     const unsigned int                     b,
                     dealii::TrilinosWrappers::MPI::Vector &v) const;

    const FiniteElementSpace<dim>          space;
    dealii::TrilinosWrappers::SparseMatrix jacobian;
    dealii::TrilinosWrappers::MPI::Vector  inverse_diagonal;
    /** With keep: per step k < steps and column, D^-1 J B_k (locally
     *  owned), for dL/domega_k. */
    std::vector<std::vector<dealii::TrilinosWrappers::MPI::Vector>> history;
    std::vector<double>                                             omegas;
    unsigned int                                                    N = 0;
  };
} // namespace dealii_learned
