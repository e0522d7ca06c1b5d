#pragma once

#include <deal.II/base/mpi.h>
#include <deal.II/base/types.h>

#include <string>
#include <vector>

namespace dealii_learned
{
  /**
   * What a host program knows about its system beyond the matrix, for the
   * solvers that can use it (today `cg` with `amg`, which passes it to ML as
   * deal.II's own elasticity programs do):
   *
   * - `n_components`: the unknowns per support point of a vector-valued
   *   element, numbered point by point (row i belongs to component
   *   i mod n_components), which is how deal.II numbers an FESystem of
   *   FE_Q elements on a DoFHandler unless the DoFs are renumbered by
   *   component. 1 for a scalar equation.
   * - `near_null_space`: vectors the operator nearly annihilates, e.g. the
   *   rigid-body modes of elasticity (translations and rotations, computed
   *   by the program from its support points) or the constant modes per
   *   component (DoFTools::extract_constant_modes(), see from_constant_modes()).
   *   Each vector holds one entry per locally owned row, in the order of
   *   the locally owned rows (the whole vector for a serial matrix). Empty:
   *   the constant mode of each component.
   *
   * A hook receives it through SolverHook::set_structure(); the component
   * count can also come from the parameter `Linear solver/Components per
   * point`. Every solve checks it against the matrix on all ranks together:
   * vectors of the wrong length, entries that are not finite, vectors that
   * are (nearly) linearly dependent, or a component count that does not
   * divide the size are errors that name the problem on every rank.
   */
  struct SystemStructure
  {
    unsigned int                     n_components = 1;
    std::vector<std::vector<double>> near_null_space;

    /** True for a scalar system without a near-null space of its own. */
    bool
    is_scalar() const;

    /**
     * The near-null space from the output of
     * DoFTools::extract_constant_modes() (one mask per component, with an
     * entry per locally owned DoF): each mask as a vector of 0 and 1.
     * `n_components` is set to the number of masks.
     */
    static SystemStructure
    from_constant_modes(const std::vector<std::vector<bool>> &modes);
  };


  /**
   * Checks @p structure against a matrix with @p n_rows rows of which
   * @p n_local_rows are owned here, on all ranks of @p comm together (for a
   * serial matrix, MPI_COMM_SELF): every rank throws the same error, which
   * names @p what (e.g. "Linear solver 'cg'") and the problem.
   */
  void
  check_system_structure(const SystemStructure        &structure,
                         const dealii::types::global_dof_index n_rows,
                         const dealii::types::global_dof_index n_local_rows,
                         const MPI_Comm                      &comm,
                         const std::string                   &what);


  /**
   * The near-null-space vectors to use for the locally owned rows
   * [@p first_row, @p first_row + @p n_local_rows): those of @p structure,
   * or, when it has none, the constant mode of each of its components
   * (row i in component i mod n_components).
   */
  std::vector<std::vector<double>>
  near_null_space_vectors(const SystemStructure              &structure,
                          const dealii::types::global_dof_index first_row,
                          const dealii::types::global_dof_index n_local_rows);
} // namespace dealii_learned
