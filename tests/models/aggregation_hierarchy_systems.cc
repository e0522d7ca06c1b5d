// The direction network's hierarchy for a system: the built-in elasticity
// problem (2-D Q1 and Q2, 3-D Q1, adaptive, Lame parameters jumping by
// 100) with its rigid-body modes. Nodes are aggregated (every aggregate
// holds whole support points, and each has as many coarse unknowns as
// near-null-space vectors it kept); the prolongation reproduces the
// level's near-null space: P (S_{l+1} b_{l+1}) = (I - omega M_l) b_l on
// every row with an aggregate, for each rigid-body mode; the near-null
// space stays near-null on every level (|M b| / |b| reported); the levels
// keep a unit-scaled, symmetric Galerkin operator; rotations about a point
// far from the mesh (mostly translation) are still kept by every
// aggregate; reinit_values() with
// other values and back gives the same levels; and the hierarchy is the
// same on one and two ranks. Against it, the scalar hierarchy of the same
// matrix (one constant vector, unknowns aggregated alone). Then a
// partition that cuts through a point is a named error.

#include <deal.II/base/parameter_handler.h>

#include <deal.II/lac/trilinos_sparsity_pattern.h>

#include <dealii-learned/base/trilinos_rows.h>
#include <dealii-learned/models/aggregation_hierarchy.h>
#include <dealii-learned/problems/problem.h>

#include <iomanip>

#include "../tests.h"

#include "hierarchy_checks.h"

using namespace dealii;
using namespace dealii_learned;


/** max over the levels' near-null vectors of |M b| / |b|. */
double
near_null_residual(const AggregationHierarchy &h, const unsigned int l)
{
  double worst = 0.;
  for (const auto &b : h.near_null_space(l))
    {
      TrilinosWrappers::MPI::Vector Mb(b);
      h.matrix(l).vmult(Mb, b);
      worst = std::max(worst, Mb.l2_norm() / b.l2_norm());
    }
  return worst;
}


template <int dim>
void
check(const unsigned int degree, const unsigned int refinement)
{
  ParameterHandler prm;
  ProblemParameters::declare_parameters(prm);
  ProblemSettings settings;
  settings.name                      = "elasticity";
  settings.dimension                 = dim;
  settings.fe_degree                 = degree;
  settings.initial_global_refinement = refinement;
  auto problem = ProblemParameters::create<dim>(settings, prm);
  problem->setup_system();
  problem->assemble_system();
  problem->solution = 1.;
  problem->distribute_solution(problem->solution);
  Vector<float> indicators;
  problem->estimate(indicators);
  problem->refine(indicators);
  problem->assemble_system();
  const auto           &A         = problem->system_matrix;
  const SystemStructure structure = problem->system_structure();

  AggregationHierarchy::AdditionalData data;
  AggregationHierarchy                 hierarchy;
  hierarchy.initialize(A, data, structure);
  AggregationHierarchy scalar;
  scalar.initialize(A, data);

  // Each rotation plus 10 times the translations (with alternating signs;
  // in 2-D the rotation about (10, 10)): the same span, but each rotation
  // vector is now mostly translation, and what is left after the
  // translations is a small fraction of it (about h^2 / 300 on an
  // aggregate of size h). Every aggregate must still keep all vectors (a
  // cut at 1e-4 of the norm dropped them).
  std::vector<unsigned int> far_vectors;
  {
    SystemStructure far = structure;
    for (unsigned int r = dim; r < far.near_null_space.size(); ++r)
      for (std::size_t i = 0; i < far.near_null_space[r].size(); ++i)
        for (unsigned int t = 0; t < dim; ++t)
          far.near_null_space[r][i] +=
            10. * (t % 2 == 0 ? 1. : -1.) * far.near_null_space[t][i];
    AggregationHierarchy shifted;
    shifted.initialize(A, data, far);
    far_vectors = shifted.min_vectors_per_aggregate();
  }

  bool   reproduced = true, symmetric = true, galerkin = true;
  double smallest_lambda = 1e300, largest_lambda = 0.;
  double residual_fine = near_null_residual(hierarchy, 0), residual_coarse = 0.;
  for (unsigned int l = 0; l < hierarchy.n_levels(); ++l)
    {
      const auto                   &M = hierarchy.matrix(l);
      TrilinosWrappers::MPI::Vector u(hierarchy.locally_owned(l),
                                      MPI_COMM_WORLD),
        v(u), Mu(u), Mv(u);
      for (const auto i : u.locally_owned_elements())
        {
          u[i] = std::cos(1.3 * i);
          v[i] = std::sin(0.7 * i) - 0.2;
        }
      u.compress(VectorOperation::insert);
      v.compress(VectorOperation::insert);
      M.vmult(Mu, u);
      M.vmult(Mv, v);
      symmetric &= std::abs(u * Mv - v * Mu) <= 1e-10 * std::abs(u * Mv);
      // lambda_max(M) by 300 power steps: the normalisation must put it
      // near 2 on every level, or the learned layers diverge there.
      {
        const double lambda = power_lambda_max(M, hierarchy.locally_owned(l));
        smallest_lambda     = std::min(smallest_lambda, lambda);
        largest_lambda      = std::max(largest_lambda, lambda);
      }
      if (l > 0)
        residual_coarse =
          std::max(residual_coarse, near_null_residual(hierarchy, l));
      if (l + 1 == hierarchy.n_levels())
        continue;

      const auto &P      = hierarchy.prolongation(l);
      const auto &S      = hierarchy.inverse_sqrt_diagonal(l + 1);
      const auto  fine   = hierarchy.near_null_space(l);
      const auto  coarse = hierarchy.near_null_space(l + 1);
      for (unsigned int c = 0; c < fine.size(); ++c)
        {
          // P (S b_c) against (I - omega M) b on the rows P reaches.
          TrilinosWrappers::MPI::Vector Sb(coarse[c]), PSb(u), expected(u);
          Sb.scale(S);
          P.vmult(PSb, Sb);
          M.vmult(expected, fine[c]);
          expected.sadd(-data.prolongation_damping, 1., fine[c]);
          double difference = 0.;
          for (const auto i : PSb.locally_owned_elements())
            {
              unsigned int entries = 0;
              for_each_entry_in_row(P, i, [&](const auto, const double) {
                ++entries;
              });
              if (entries > 0)
                difference =
                  std::max(difference, std::abs(PSb[i] - expected[i]));
            }
          difference = Utilities::MPI::max(difference, MPI_COMM_WORLD);
          reproduced &= difference <= 1e-10 * expected.linfty_norm();
        }

      // matrix(l+1) = S (P^T M P) S on a vector.
      TrilinosWrappers::MPI::Vector c(S), Sc(S), PSc(u), MPSc(u), direct(S),
        stored(S);
      for (const auto i : c.locally_owned_elements())
        c[i] = std::sin(0.9 * i) + 0.3;
      c.compress(VectorOperation::insert);
      Sc = c;
      Sc.scale(S);
      P.vmult(PSc, Sc);
      M.vmult(MPSc, PSc);
      P.Tvmult(direct, MPSc);
      direct.scale(S);
      hierarchy.matrix(l + 1).vmult(stored, c);
      stored -= direct;
      galerkin &= stored.l2_norm() <= 1e-12 * direct.l2_norm();
    }

  // reinit_values() with other values (another Lame contrast on the same
  // mesh), then with the first ones again: the levels of initialize().
  bool same_after_reinit = true;
  {
    std::vector<TrilinosWrappers::SparseMatrix> before(hierarchy.n_levels());
    for (unsigned int l = 0; l < hierarchy.n_levels(); ++l)
      before[l].copy_from(hierarchy.matrix(l));
    TrilinosWrappers::SparseMatrix original;
    original.copy_from(A);
    problem->set_coefficient_contrast(3.);
    problem->assemble_system();
    hierarchy.reinit_values(problem->system_matrix);
    bool changed = false;
    {
      TrilinosWrappers::SparseMatrix difference;
      difference.copy_from(hierarchy.matrix(0));
      difference.add(-1., before[0]);
      changed = difference.frobenius_norm() > 1e-3 * before[0].frobenius_norm();
    }
    hierarchy.reinit_values(original);
    for (unsigned int l = 0; l < hierarchy.n_levels(); ++l)
      {
        before[l].add(-1., hierarchy.matrix(l));
        same_after_reinit &= before[l].frobenius_norm() <=
                             1e-10 * hierarchy.matrix(l).frobenius_norm();
      }
    same_after_reinit &= changed;
  }

  deallog << dim << "-D Q" << degree << " elasticity, " << A.m()
          << " unknowns: level sizes";
  for (const auto n : hierarchy.level_sizes())
    deallog << ' ' << n;
  deallog << std::setprecision(4) << ", operator complexity "
          << hierarchy.operator_complexity()
          << ", fewest vectors per aggregate";
  for (const auto n : hierarchy.min_vectors_per_aggregate())
    deallog << ' ' << n;
  deallog << ", largest aggregate " << hierarchy.largest_aggregate() << " rows"
          << std::endl;
  {
    const auto &P = hierarchy.prolongation(0).trilinos_matrix();
    deallog << "  level-0 prolongation: "
            << double(P.NumGlobalNonzeros64()) / double(P.NumGlobalRows64())
            << " entries per row on average" << std::endl;
  }
  deallog << "  rotations about a far point: fewest vectors per aggregate";
  for (const auto n : far_vectors)
    deallog << ' ' << n;
  deallog << std::endl;
  deallog << "  as a scalar: level sizes";
  for (const auto n : scalar.level_sizes())
    deallog << ' ' << n;
  deallog << ", operator complexity " << scalar.operator_complexity()
          << std::endl;
  deallog << std::setprecision(2) << "  |M b|/|b| of the near-null space: "
          << "fine " << residual_fine << ", coarser levels at most "
          << residual_coarse << " (scalar hierarchy's constant: fine "
          << near_null_residual(scalar, 0) << ")" << std::setprecision(6)
          << std::endl;
  deallog << std::setprecision(3) << "  lambda_max of the levels in ["
          << smallest_lambda << ", " << largest_lambda << "]"
          << std::setprecision(6) << std::endl;
  deallog << "  near-null space reproduced " << reproduced << ", symmetric "
          << symmetric << ", galerkin " << galerkin << ", same after reinit "
          << same_after_reinit << std::endl;
}


// Two components per point, but rank 0 owns an odd number of rows: the
// ranks' ranges cut through a point. On one rank: a size that is not a
// multiple of the components. Each a named error on every rank.
void
check_cut_points()
{
  const MPI_Comm     comm  = MPI_COMM_WORLD;
  const unsigned int ranks = Utilities::MPI::n_mpi_processes(comm);
  const unsigned int rank  = Utilities::MPI::this_mpi_process(comm);
  const unsigned int n     = ranks == 1 ? 41 : 40;
  IndexSet           owned(n);
  const unsigned int first = rank == 0 ? 0 : 21,
                     last  = rank + 1 == ranks ? n : 21;
  owned.add_range(first, last);
  TrilinosWrappers::SparsityPattern pattern(owned, owned, comm);
  for (const auto i : owned)
    for (unsigned int j = (i > 0 ? i - 1 : 0); j <= std::min(i + 1, n - 1); ++j)
      pattern.add(i, j);
  pattern.compress();
  TrilinosWrappers::SparseMatrix A;
  A.reinit(pattern);
  for (const auto i : owned)
    for (unsigned int j = (i > 0 ? i - 1 : 0); j <= std::min(i + 1, n - 1); ++j)
      A.set(i, j, i == j ? 2. : -1.);
  A.compress(VectorOperation::insert);
  SystemStructure structure;
  structure.n_components = 2;
  AggregationHierarchy hierarchy;
  expect_exception("points cut by the partition", [&]() {
    hierarchy.initialize(A, AggregationHierarchy::AdditionalData(), structure);
  });
}


int
main(int argc, char **argv)
{
  Utilities::MPI::MPI_InitFinalize mpi(argc, argv, 1);
  MPILogInitAll                    log;
  check<2>(1, 4);
  check<2>(2, 3);
  check<3>(1, 2);
  check_cut_points();
}
