#include <deal.II/base/exceptions.h>
#include <deal.II/base/index_set.h>
#include <deal.II/base/mpi.h>

#include <deal.II/lac/affine_constraints.h>
#include <deal.II/lac/trilinos_index_access.h>

#include <dealii-learned/base/utilities.h>
#include <dealii-learned/conservation/gaussian_field.h>

#include <cmath>

namespace dealii_learned
{
  using namespace dealii;



  bool
  same_layout(const TrilinosWrappers::MPI::Vector &a,
              const TrilinosWrappers::MPI::Vector &b)
  {
    const auto &map_a = a.trilinos_partitioner();
    const auto &map_b = b.trilinos_partitioner();
    bool        same =
      a.size() == b.size() && a.locally_owned_size() == b.locally_owned_size();
    // Vectors copied from one another share Epetra's map data: then the
    // entries are the same without looking at them.
    const bool shared = same && map_a.SameBlockMapDataAs(map_b);
    for (std::size_t i = 0; same && !shared && i < a.locally_owned_size(); ++i)
      same = TrilinosWrappers::global_index(map_a, i) ==
             TrilinosWrappers::global_index(map_b, i);
    return Utilities::MPI::min(same ? 1 : 0, a.get_mpi_communicator()) > 0;
  }


  GaussianField
  GaussianField::diagonal(const TrilinosWrappers::MPI::Vector &mean,
                          const TrilinosWrappers::MPI::Vector &variance)
  {
    GaussianField field;
    field.mean          = mean;
    field.diagonal_part = variance;
    field.check("the field");
    return field;
  }


  GaussianField
  GaussianField::ensemble(
    const std::vector<TrilinosWrappers::MPI::Vector> &means,
    const std::vector<TrilinosWrappers::MPI::Vector> &variances)
  {
    AssertThrow(!means.empty() && means.size() == variances.size(),
                ExcMessage("An ensemble needs as many variance vectors as "
                           "mean vectors, and at least one member (" +
                           std::to_string(means.size()) + " means, " +
                           std::to_string(variances.size()) + " variances)."));
    const double  members = means.size();
    GaussianField field;
    field.mean = means[0];
    field.mean = 0.;
    field.diagonal_part.reinit(field.mean);
    for (unsigned int k = 0; k < means.size(); ++k)
      {
        AssertThrow(means[k].size() == field.mean.size() &&
                      variances[k].size() == field.mean.size(),
                    ExcMessage("Ensemble member " + std::to_string(k) +
                               " has another size than member 0."));
        field.mean.add(1. / members, means[k]);
        field.diagonal_part.add(1. / members, variances[k]);
      }
    for (const auto &m : means)
      {
        field.factors.push_back(m);
        field.factors.back() -= field.mean;
        field.factors.back() /= std::sqrt(members);
      }
    field.core = IdentityMatrix(means.size());
    field.check("the ensemble");
    return field;
  }


  GaussianField
  GaussianField::dense(const TrilinosWrappers::MPI::Vector &mean,
                       const FullMatrix<double>            &covariance)
  {
    const auto n = mean.size();
    AssertThrow(n <= dense_limit,
                ExcMessage("A dense covariance of " + std::to_string(n) +
                           " x " + std::to_string(n) +
                           " is refused: dense covariances are for problems "
                           "of at most " +
                           std::to_string(dense_limit) +
                           " DoFs. Give a diagonal or a diagonal plus "
                           "low-rank covariance (an ensemble) instead."));
    AssertThrow(covariance.m() == n && covariance.n() == n,
                ExcMessage(
                  "The covariance is " + std::to_string(covariance.m()) +
                  " x " + std::to_string(covariance.n()) +
                  " but the mean has " + std::to_string(n) + " entries."));
    // (Decided on every rank: the other ranks hold no entries.)
    const bool on_one_rank =
      Utilities::MPI::max(static_cast<unsigned long long>(
                            mean.locally_owned_elements().n_elements()),
                          mean.get_mpi_communicator()) == n;
    AssertThrow(on_one_rank,
                ExcMessage("A dense covariance needs the whole field on one "
                           "MPI rank."));
    GaussianField field;
    field.mean = mean;
    field.diagonal_part.reinit(mean);
    for (unsigned int j = 0; j < n; ++j)
      {
        field.factors.emplace_back(mean);
        field.factors.back()    = 0.;
        field.factors.back()[j] = 1.;
        field.factors.back().compress(VectorOperation::insert);
      }
    field.core = covariance;
    field.check("the field");
    return field;
  }


  types::global_dof_index
  GaussianField::size() const
  {
    return mean.size();
  }


  unsigned int
  GaussianField::rank() const
  {
    return factors.size();
  }


  void
  GaussianField::apply_covariance(const TrilinosWrappers::MPI::Vector &x,
                                  TrilinosWrappers::MPI::Vector       &y) const
  {
    y = x;
    y.scale(diagonal_part);
    if (factors.empty())
      return;
    const unsigned int r = factors.size();
    Vector<double>     projected(r), weighted(r);
    for (unsigned int k = 0; k < r; ++k)
      projected[k] = factors[k] * x;
    core.vmult(weighted, projected);
    for (unsigned int k = 0; k < r; ++k)
      y.add(weighted[k], factors[k]);
  }


  TrilinosWrappers::MPI::Vector
  GaussianField::variance() const
  {
    // On the locally owned entries directly: diag(L K L^T)_i = l_i^T K l_i
    // with l_i the i-th entries of the factors.
    TrilinosWrappers::MPI::Vector result(diagonal_part);
    const unsigned int            r = factors.size();
    if (r == 0)
      return result;
    std::vector<const double *> L(r);
    for (unsigned int k = 0; k < r; ++k)
      L[k] = factors[k].begin();
    std::vector<double> li(r);
    double             *v = result.begin();
    const std::size_t   n = result.locally_owned_size();
    for (std::size_t i = 0; i < n; ++i)
      {
        for (unsigned int k = 0; k < r; ++k)
          li[k] = L[k][i];
        double value = v[i];
        for (unsigned int k = 0; k < r; ++k)
          if (li[k] != 0.)
            {
              double row = 0.;
              for (unsigned int l = 0; l < r; ++l)
                row += core(k, l) * li[l];
              value += li[k] * row;
            }
        v[i] = value;
      }
    return result;
  }


  TrilinosWrappers::MPI::Vector
  GaussianField::variance(const AffineConstraints<double> &constraints,
                          const IndexSet &locally_relevant) const
  {
    TrilinosWrappers::MPI::Vector result = variance();
    const MPI_Comm                comm   = mean.get_mpi_communicator();
    const IndexSet               &owned  = mean.locally_owned_elements();
    const auto ghosted = [&](const TrilinosWrappers::MPI::Vector &v) {
      TrilinosWrappers::MPI::Vector g(owned, locally_relevant, comm);
      g = v;
      return g;
    };
    const TrilinosWrappers::MPI::Vector        d = ghosted(diagonal_part);
    std::vector<TrilinosWrappers::MPI::Vector> L;
    for (const auto &f : factors)
      L.push_back(ghosted(f));
    const unsigned int  r = L.size();
    std::vector<double> l(r);
    for (const auto i : owned)
      if (constraints.is_constrained(i))
        {
          const auto *entries = constraints.get_constraint_entries(i);
          double      value   = 0.;
          std::fill(l.begin(), l.end(), 0.);
          if (entries != nullptr)
            for (const auto &[j, c] : *entries)
              {
                value += c * c * d[j];
                for (unsigned int k = 0; k < r; ++k)
                  l[k] += c * L[k][j];
              }
          for (unsigned int k = 0; k < r; ++k)
            for (unsigned int m = 0; m < r; ++m)
              value += l[k] * core(k, m) * l[m];
          result[i] = std::max(value, 0.);
        }
    result.compress(VectorOperation::insert);
    return result;
  }


  void
  GaussianField::check(const std::string &what) const
  {
    AssertThrow(mean.size() > 0,
                ExcMessage(what + " has no entries (an empty mean)."));
    AssertThrow(diagonal_part.size() == mean.size(),
                ExcMessage(what + ": the variance has " +
                           std::to_string(diagonal_part.size()) +
                           " entries but the mean " +
                           std::to_string(mean.size()) + "."));
    AssertThrow(core.m() == factors.size() && core.n() == factors.size(),
                ExcMessage(what + ": the low-rank core is " +
                           std::to_string(core.m()) + " x " +
                           std::to_string(core.n()) + " for " +
                           std::to_string(factors.size()) + " factors."));
    for (unsigned int k = 0; k < factors.size(); ++k)
      AssertThrow(factors[k].size() == mean.size(),
                  ExcMessage(what + ": low-rank factor " + std::to_string(k) +
                             " has another size than the mean."));
    // update() and variance() pair entries by local position: every
    // vector must be distributed like the mean (decided on every rank).
    bool same_partition = same_layout(diagonal_part, mean);
    for (const auto &f : factors)
      same_partition = same_layout(f, mean) && same_partition;
    AssertThrow(same_partition,
                ExcMessage(what + ": the variance or a low-rank factor is "
                                  "distributed over the MPI ranks "
                                  "differently from the mean; build them "
                                  "on the same locally owned DoFs."));

    // One pass and one reduction for the entries: whether each vector is
    // finite (1: not), and minus the smallest variance.
    const unsigned int r = factors.size();
    // (x * 0 is NaN exactly for NaN and infinite x, and a NaN stays in a
    // sum: a scan without branches.)
    const auto not_finite = [](const TrilinosWrappers::MPI::Vector &v) {
      double sum = 0.;
      for (const double x : v)
        sum += x * 0.;
      return std::isfinite(sum) ? 0. : 1.;
    };
    std::vector<double> flags(3 + r, 0.);
    flags[0]        = not_finite(mean);
    flags[1]        = not_finite(diagonal_part);
    double smallest = 0.;
    for (const double x : diagonal_part)
      smallest = std::min(smallest, x);
    flags[2] = -smallest;
    for (unsigned int k = 0; k < r; ++k)
      flags[3 + k] = not_finite(factors[k]);
    Utilities::MPI::max(flags, mean.get_mpi_communicator(), flags);
    AssertThrow(flags[0] == 0.,
                ExcMessage(what + ": the mean holds NaN or infinite entries."));
    AssertThrow(flags[1] == 0.,
                ExcMessage(what +
                           ": the variance holds NaN or infinite entries."));
    AssertThrow(flags[2] <= 0.,
                ExcMessage(what + ": a variance is negative (" +
                           format_number(-flags[2]) +
                           "); variances must be >= 0."));
    for (unsigned int k = 0; k < r; ++k)
      {
        AssertThrow(flags[3 + k] == 0.,
                    ExcMessage(what + ": low-rank factor " + std::to_string(k) +
                               " holds NaN or infinite entries."));
        for (unsigned int l = 0; l < r; ++l)
          AssertThrow(std::abs(core(k, l) - core(l, k)) <=
                        1e-12 * (std::abs(core(k, l)) + std::abs(core(l, k))),
                      ExcMessage(what + ": the low-rank core is not "
                                        "symmetric."));
      }
  }
} // namespace dealii_learned
