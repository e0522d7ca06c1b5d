// The coarse-to-fine structure of the direction network, built from the
// matrix alone, on the jump-coefficient systems (2-D Q1 and Q2, 3-D Q1,
// adaptive meshes with hanging nodes): level 0 is s A s with s a multiple
// of D^{-1/2}; every level has a constant diagonal, a largest
// eigenvalue near 2 and stays symmetric; the prolongation reproduces the
// level's near kernel (P 1 = (I - omega M) S^{-1} 1 on coupled rows); the
// Galerkin product matches P^T (M P x) applied vector by vector; the sizes
// shrink by the aggregate size, and the total cost of all levels stays near
// that of the fine matrix. With a truncated prolongation (3-D, at most 4
// entries per row and none below a tenth of the row's largest) all of
// this still holds, the rows are shorter and the coarse levels cheaper,
// and reinit_values() on the same matrix keeps the truncated pattern and
// reproduces its values. Also on two ranks.

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

/** Entries per row of @p P: the mean and the largest, over all ranks. */
std::pair<double, unsigned int>
row_lengths(const TrilinosWrappers::SparseMatrix &P)
{
  const auto  &E       = P.trilinos_matrix();
  unsigned int longest = 0;
  for (int i = 0; i < E.NumMyRows(); ++i)
    longest = std::max<unsigned int>(longest, E.NumMyEntries(i));
  return {double(E.NumGlobalNonzeros64()) / double(E.NumGlobalRows64()),
          Utilities::MPI::max(longest, P.get_mpi_communicator())};
}


template <int dim>
void
check(const unsigned int                          degree,
      const unsigned int                          refinement,
      const AggregationHierarchy::AdditionalData &data =
        AggregationHierarchy::AdditionalData(),
      const std::string &label = "")
{
  ParameterHandler prm;
  ProblemParameters::declare_parameters(prm);
  ProblemSettings settings;
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
  const auto &A = problem->system_matrix;

  AggregationHierarchy hierarchy;
  hierarchy.initialize(A, data);
  const auto sizes = hierarchy.level_sizes();

  // Â x = s .* (A (s .* x)) with s = D^{-1/2}.
  const auto                   &s = hierarchy.inverse_sqrt_diagonal(0);
  TrilinosWrappers::MPI::Vector x(s), sx(s), y(s), z(s);
  for (const auto i : x.locally_owned_elements())
    x[i] = std::sin(0.37 * i) + 0.5;
  x.compress(VectorOperation::insert);
  sx = x;
  sx.scale(s);
  A.vmult(y, sx);
  y.scale(s);
  hierarchy.matrix(0).vmult(z, x);
  // matrix(0) = s A s, and s is a multiple of D^{-1/2} since the diagonal
  // of matrix(0) is constant (checked below).
  z -= y;
  const bool scaled = z.l2_norm() <= 1e-12 * y.l2_norm();

  bool constant_diagonal = true, spectrum = true, symmetric = true,
       galerkin = true, near_kernel = true;
  double smallest_lambda = 1e300, largest_lambda = 0.;
  for (unsigned int l = 0; l < hierarchy.n_levels(); ++l)
    {
      const auto  &M = hierarchy.matrix(l);
      const double diagonal =
        Utilities::MPI::max(M.diag_element(
                              hierarchy.locally_owned(l).nth_index_in_set(0)),
                            MPI_COMM_WORLD);
      for (const auto i : hierarchy.locally_owned(l))
        constant_diagonal &=
          std::abs(M.diag_element(i) - diagonal) < 1e-12 * diagonal;
      constant_diagonal =
        Utilities::MPI::min(double(constant_diagonal), MPI_COMM_WORLD) > 0;

      // lambda_max(M) by 300 power steps: the hierarchy's 24-step estimate
      // (enlarged by 5%) must put it near 2.
      {
        const double lambda = power_lambda_max(M, hierarchy.locally_owned(l));
        smallest_lambda     = std::min(smallest_lambda, lambda);
        largest_lambda      = std::max(largest_lambda, lambda);
        spectrum &= lambda > 1.7 && lambda < 2.2;
      }

      // u^T M v == v^T M u for two vectors.
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

      if (l + 1 < hierarchy.n_levels())
        {
          // matrix(l+1) = S (P^T M P) S: compare on a vector.
          const auto &P = hierarchy.prolongation(l);
          const auto &S = hierarchy.inverse_sqrt_diagonal(l + 1);
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

          // P 1 = (I - omega M) w, w = S_l^{-1} 1 on coupled rows, 0 on
          // decoupled ones (no off-diagonal entry, no coarse unknown).
          const auto                   &Sl = hierarchy.inverse_sqrt_diagonal(l);
          TrilinosWrappers::MPI::Vector ones(S), P1(u), w(u), Mw(u);
          ones = 1.;
          P.vmult(P1, ones);
          for (const auto i : w.locally_owned_elements())
            {
              bool coupled = false;
              for_each_entry_in_row(M,
                                    i,
                                    [&](const auto column, const double value) {
                                      coupled |= (column != i && value != 0.);
                                    });
              w[i] = coupled ? 1. / Sl[i] : 0.;
            }
          w.compress(VectorOperation::insert);
          M.vmult(Mw, w);
          w.add(-data.prolongation_damping, Mw);
          w -= P1;
          near_kernel &= w.l2_norm() <= 1e-12 * P1.l2_norm();
        }
    }

  bool shrinking = true;
  for (unsigned int l = 1; l < sizes.size(); ++l)
    shrinking &= sizes[l] * 2 <= sizes[l - 1];

  // reinit_values() on the same matrix: the same prolongation values in
  // the pattern initialize() chose (for a truncated one: the full rows
  // projected on the kept pattern and scaled to the row sums again).
  bool same_after_reinit = true;
  {
    std::vector<TrilinosWrappers::SparseMatrix> before(hierarchy.n_levels() -
                                                       1);
    for (unsigned int l = 0; l + 1 < hierarchy.n_levels(); ++l)
      before[l].copy_from(hierarchy.prolongation(l));
    hierarchy.reinit_values(A);
    for (unsigned int l = 0; l + 1 < hierarchy.n_levels(); ++l)
      {
        const auto &after = hierarchy.prolongation(l);
        same_after_reinit &=
          after.n_nonzero_elements() == before[l].n_nonzero_elements();
        before[l].add(-1., after);
        same_after_reinit &=
          before[l].frobenius_norm() <= 1e-12 * after.frobenius_norm();
      }
  }

  // The figures themselves (sizes, complexity, spectrum bounds, largest
  // aggregate, prolongation row lengths) are compared with the stored
  // output; the exact properties are checked to rounding.
  const auto lengths = row_lengths(hierarchy.prolongation(0));
  deallog << dim << "-D Q" << degree << label << ": level sizes";
  for (const auto n : sizes)
    deallog << ' ' << n;
  deallog << std::setprecision(4) << ", operator complexity "
          << hierarchy.operator_complexity() << std::setprecision(3)
          << ", lambda_max of the levels in [" << smallest_lambda << ", "
          << largest_lambda << "], largest aggregate "
          << hierarchy.largest_aggregate() << ", warnings "
          << hierarchy.warnings().size() << ", level-0 prolongation rows "
          << lengths.first << " entries on average, " << lengths.second
          << " at most" << std::setprecision(6) << std::endl;
  deallog << dim << "-D Q" << degree << label
          << ": each level at most half the "
          << "previous " << shrinking << ", lambda_max in (1.7, 2.2) "
          << spectrum << ", scaled " << scaled << ", constant diagonal "
          << constant_diagonal << ", symmetric " << symmetric
          << ", near kernel " << near_kernel << ", galerkin " << galerkin
          << ", same after reinit " << same_after_reinit << std::endl;
}


// Coarsening that stops above the coarsest size asked (here because the
// hierarchy may have only two levels) is reported, not silent.
void
check_level_limit()
{
  const unsigned int n     = 1000;
  const MPI_Comm     comm  = MPI_COMM_WORLD;
  const unsigned int ranks = Utilities::MPI::n_mpi_processes(comm);
  const unsigned int rank  = Utilities::MPI::this_mpi_process(comm);
  IndexSet           owned(n);
  owned.add_range(rank * n / ranks, (rank + 1) * n / ranks);
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
  AggregationHierarchy::AdditionalData data;
  data.max_levels = 2;
  AggregationHierarchy hierarchy;
  hierarchy.initialize(A, data);
  deallog << "1-D chain, at most 2 levels: level sizes";
  for (const auto size : hierarchy.level_sizes())
    deallog << ' ' << size;
  for (const auto &w : hierarchy.warnings())
    deallog << "; warning: " << w;
  deallog << std::endl;
}


int
main(int argc, char **argv)
{
  Utilities::MPI::MPI_InitFinalize mpi(argc, argv, 1);
  MPILogInitAll                    log;
  check<2>(1, 5);
  check<2>(2, 4);
  check<3>(1, 3);
  AggregationHierarchy::AdditionalData truncated;
  truncated.prolongation_truncation  = 0.1;
  truncated.prolongation_max_entries = 4;
  check<3>(1, 3, truncated, " truncated");
  check_level_limit();
}
