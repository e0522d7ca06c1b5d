#pragma once

#include <deal.II/dofs/dof_handler.h>

#include <deal.II/fe/mapping.h>

#include <dealii-learned/base/system_structure.h>

namespace dealii_learned
{
  /**
   * The rigid-body modes of linear elasticity on @p dof_handler, as the
   * near-null space of a SystemStructure with `n_components` = dim: the
   * dim translations (1 in one displacement component, 0 in the others)
   * and the dim (dim - 1) / 2 infinitesimal rotations, one per coordinate
   * plane (a, b), a < b: u_a = -x_b, u_b = x_a (2-D: (-y, x); 3-D: the
   * planes xy, xz, yz). These are the displacements with zero strain, so
   * the elasticity operator without boundary conditions annihilates them,
   * and an aggregation multigrid (ML) that interpolates them exactly
   * coarsens well; the constant modes alone leave the rotations to the
   * smoother.
   *
   * Each mode holds one value per locally owned DoF, in the order of the
   * locally owned DoFs, evaluated at the DoF's support point (mapped by
   * @p mapping) in the coordinates of the mesh, rotations about the
   * origin: the same on every rank, whatever the partition. Works on
   * distributed meshes with hanging nodes (every locally owned DoF lies
   * on a locally owned cell); constrained DoFs get their support point's
   * values too.
   *
   * The element must have exactly dim vector components (the
   * displacement) and support points (e.g. FESystem(FE_Q(p), dim));
   * otherwise an ExcMessage says which.
   */
  template <int dim>
  SystemStructure
  rigid_body_modes(const dealii::Mapping<dim>    &mapping,
                   const dealii::DoFHandler<dim> &dof_handler);
} // namespace dealii_learned
