#include <deal.II/base/exceptions.h>
#include <deal.II/base/mpi.h>
#include <deal.II/base/timer.h>

#include <dealii-learned/base/utilities.h>
#include <dealii-learned/models/direction_network.h>

#include <Epetra_CrsMatrix.h>
#include <Epetra_Import.h>
#include <Epetra_MultiVector.h>

#include <algorithm>
#include <cmath>
#include <cstdlib>
#include <string>

namespace dealii_learned
{
  using namespace dealii;

  // ---------------------------------------------------------------- network

  class DirectionNetwork::LevelMatrix
  {
  public:
    using VectorType = TrilinosWrappers::MPI::Vector;

    /**
     * The rows of @p M. Where Epetra stores them contiguously (the
     * hierarchy's matrices do), the row offsets and column indices are
     * read in place, not copied: @p M must then outlive this object and
     * keep its pattern (the network owns both; reinit_values() changes
     * only values). Only the values are copied, in single precision.
     */
    explicit LevelMatrix(const TrilinosWrappers::SparseMatrix &M)
    {
      const Epetra_CrsMatrix &E = M.trilinos_matrix();
      n_rows                    = E.NumMyRows();
      values.resize(E.NumMyNonzeros());
      int    *offsets = nullptr, *indices = nullptr;
      double *entries = nullptr;
      if (E.ExtractCrsDataPointers(offsets, indices, entries) == 0)
        {
          row_start = offsets;
          columns   = indices;
        }
      else
        {
          own_row_start.resize(n_rows + 1);
          own_row_start[0] = 0;
          own_columns.resize(E.NumMyNonzeros());
          int position = 0;
          for (int i = 0; i < n_rows; ++i)
            {
              int n = 0;
              E.ExtractMyRowView(i, n, entries, indices);
              std::copy(indices, indices + n, own_columns.begin() + position);
              position += n;
              own_row_start[i + 1] = position;
            }
          row_start = own_row_start.data();
          columns   = own_columns.data();
        }
      update_values(M);
      n_columns = E.ColMap().NumMyElements();
      // Rows are owned where they are stored (deal.II's matrices): no
      // export of the result.
      AssertThrow(E.Exporter() == nullptr, ExcNotImplemented());
      // No importer: the column map is the domain map, in the same order.
      if (E.Importer() != nullptr)
        {
          importer = std::make_unique<Epetra_Import>(*E.Importer());
          ghosted  = std::make_unique<Epetra_MultiVector>(E.ColMap(), 1);
        }
    }

    /** New values of @p M, which has the pattern this was built from. */
    void
    update_values(const TrilinosWrappers::SparseMatrix &M)
    {
      const Epetra_CrsMatrix &E = M.trilinos_matrix();
      AssertThrow(E.NumMyRows() == n_rows &&
                    static_cast<std::size_t>(E.NumMyNonzeros()) ==
                      values.size(),
                  ExcInternalError());
      const auto to_float = [](const double v) {
        return static_cast<float>(v);
      };
      if (own_row_start.empty())
        {
          // Offsets and columns read in place must still be M's own; the
          // values are contiguous then.
          int    *offsets = nullptr, *indices = nullptr;
          double *entries = nullptr;
          AssertThrow(E.ExtractCrsDataPointers(offsets, indices, entries) ==
                          0 &&
                        offsets == row_start && indices == columns,
                      ExcInternalError());
          std::transform(entries,
                         entries + values.size(),
                         values.begin(),
                         to_float);
          return;
        }
      for (int i = 0; i < n_rows; ++i)
        {
          int     n       = 0;
          double *entries = nullptr;
          int    *indices = nullptr;
          E.ExtractMyRowView(i, n, entries, indices);
          AssertThrow(n == row_start[i + 1] - row_start[i], ExcInternalError());
          std::transform(entries,
                         entries + n,
                         values.begin() + row_start[i],
                         to_float);
        }
    }

    /** The compressed rows, for kernels that read them directly. */
    struct Rows
    {
      int          n_rows;
      const int   *start;
      const int   *columns;
      const float *values;
    };

    Rows
    rows() const
    {
      return {n_rows, row_start, columns, values.data()};
    }

    /** The values of @p x at this rank's columns (imports the ghosts). */
    const double *
    column_values(const VectorType &x) const
    {
      if (importer == nullptr)
        return x.begin();
      const int error = ghosted->Import(x.trilinos_vector(), *importer, Insert);
      AssertThrow(error == 0, ExcTrilinosError(error));
      return (*ghosted)[0];
    }

    /** Calls f(i, (M x)_i) for every owned row i, in order. */
    template <typename Function>
    void
    for_each_row(const VectorType &x, const Function &f) const
    {
      const double      *xc    = column_values(x);
      const int *const   start = row_start;
      const int *const   col   = columns;
      const float *const val   = values.data();
      for (int i = 0; i < n_rows; ++i)
        {
          double sum = 0.;
          for (int k = start[i]; k < start[i + 1]; ++k)
            sum += val[k] * xc[col[k]];
          f(i, sum);
        }
    }

    /** y = M^T x: the rows scattered into the columns, then the ghost
     *  columns' sums added to their owners. */
    void
    transpose_vmult(VectorType &y, const VectorType &x) const
    {
      double *target = importer == nullptr ? y.begin() : (*ghosted)[0];
      std::fill(target, target + n_columns, 0.);
      const double *xv = x.begin();
      for (int i = 0; i < n_rows; ++i)
        for (int k = row_start[i]; k < row_start[i + 1]; ++k)
          target[columns[k]] += values[k] * xv[i];
      if (importer != nullptr)
        {
          y = 0.;
          const int error =
            y.trilinos_vector().Export(*ghosted, *importer, Add);
          AssertThrow(error == 0, ExcTrilinosError(error));
        }
    }

  private:
    int n_rows = 0, n_columns = 0;
    /** Row offsets and column indices: Epetra's, or the copies below. */
    const int                                  *row_start = nullptr;
    const int                                  *columns   = nullptr;
    std::vector<int>                            own_row_start, own_columns;
    std::vector<float>                          values;
    std::unique_ptr<Epetra_Import>              importer;
    mutable std::unique_ptr<Epetra_MultiVector> ghosted;
  };


  namespace
  {
    /** The weights of a width-8 perceptron in single precision, as the
     *  vectorised kernel reads them. */
    struct Perceptron8
    {
      alignas(32) float W0[8];
      alignas(32) float W1[8];
      alignas(32) float c[8];
      alignas(32) float w[8];
    };


    /**
     * The width-8 layer over all rows: m = (M x)_i, then
     * y_i (+)= a r_i + b m + sum_j w_j relu(W_j0 r_i + W_j1 m + c_j).
     * The hidden layer is evaluated in single precision, all eight units
     * in one vector operation where the processor has AVX2 (the body is
     * compiled twice, below; the build itself targets generic x86-64). The
     * product and the skip terms stay in double.
     */
    __attribute__((always_inline)) inline void
    perceptron_rows_8_body(const int           n_rows,
                           const int *const    start,
                           const int *const    columns,
                           const float *const  values,
                           const double *const x,
                           const double *const r,
                           double *const       y,
                           const Perceptron8  &p,
                           const double        a,
                           const double        b,
                           const bool          assign)
    {
      for (int i = 0; i < n_rows; ++i)
        {
          double m = 0.;
          for (int k = start[i]; k < start[i + 1]; ++k)
            m += values[k] * x[columns[k]];
          const float rf = static_cast<float>(r[i]);
          const float mf = static_cast<float>(m);
          float       h[8];
          for (unsigned int j = 0; j < 8; ++j)
            h[j] = std::max(p.W0[j] * rf + p.W1[j] * mf + p.c[j], 0.f) * p.w[j];
          const float hidden =
            ((h[0] + h[1]) + (h[2] + h[3])) + ((h[4] + h[5]) + (h[6] + h[7]));
          const double update = a * r[i] + b * m + hidden;
          y[i]                = assign ? update : y[i] + update;
        }
    }

#define DEALII_LEARNED_PERCEPTRON_ARGUMENTS                              \
  const int n_rows, const int *const start, const int *const columns,    \
    const float *const values, const double *const x,                    \
    const double *const r, double *const y, const Perceptron8 &p,        \
    const double a, const double b, const bool assign

    void
    perceptron_rows_8_generic(DEALII_LEARNED_PERCEPTRON_ARGUMENTS)
    {
      perceptron_rows_8_body(
        n_rows, start, columns, values, x, r, y, p, a, b, assign);
    }

#if defined(__x86_64__) && defined(__GNUC__) && \
  !defined(DEALII_LEARNED_GENERIC_KERNELS_ONLY)
#  define DEALII_LEARNED_HAVE_AVX2_KERNEL
    __attribute__((target("avx2"))) void
    perceptron_rows_8_avx2(DEALII_LEARNED_PERCEPTRON_ARGUMENTS)
    {
      perceptron_rows_8_body(
        n_rows, start, columns, values, x, r, y, p, a, b, assign);
    }
#endif
#undef DEALII_LEARNED_PERCEPTRON_ARGUMENTS

    using PerceptronKernel = decltype(&perceptron_rows_8_generic);

    /** The kernel, chosen at its first use in the process (so that a
     *  program may still set the environment variable before): see
     *  DirectionNetwork::kernel(). */
    PerceptronKernel
    choose_perceptron_kernel()
    {
#if defined(DEALII_LEARNED_GENERIC_KERNELS_ONLY)
      return &perceptron_rows_8_generic;
#else
      const char *const forced = std::getenv("DEALII_LEARNED_GENERIC_KERNELS");
      if (forced != nullptr && *forced != '\0' && std::string(forced) != "0")
        return &perceptron_rows_8_generic;
#  if defined(DEALII_LEARNED_HAVE_AVX2_KERNEL)
      if (__builtin_cpu_supports("avx2"))
        return &perceptron_rows_8_avx2;
#  endif
      return &perceptron_rows_8_generic;
#endif
    }

    PerceptronKernel
    perceptron_kernel()
    {
      static const PerceptronKernel kernel = choose_perceptron_kernel();
      return kernel;
    }


    /**
     * One layer's perceptron, fused into the product m = M x (x = r, the
     * residual): y_i (+)= sigma dy_i for every owned row. The weights meet
     * the features (f0 = r/sigma, f1 = m/sigma) divided by sigma and the
     * output multiplied by it, which by the positive homogeneity of relu
     * is
     *   sigma dy = a r + b m + sum_j w_j relu(W_j0 r + W_j1 m + sigma c_j).
     * Width 8 (the default model's) goes to the vectorised kernel above;
     * any other width to a generic loop.
     */
    template <typename LevelMatrixType>
    void
    apply_perceptron(const LevelMatrixType               &M,
                     const SmootherWeights               &weights,
                     const double                         sigma,
                     const TrilinosWrappers::MPI::Vector &x,
                     const double *const                  r,
                     double *const                        y,
                     const bool                           assign)
    {
      const unsigned int n_hidden = weights.hidden;
      if (n_hidden == 8)
        {
          Perceptron8 p;
          for (unsigned int j = 0; j < 8; ++j)
            {
              p.W0[j] = static_cast<float>(weights.W[2 * j]);
              p.W1[j] = static_cast<float>(weights.W[2 * j + 1]);
              p.c[j]  = static_cast<float>(sigma * weights.bias[j]);
              p.w[j]  = static_cast<float>(weights.w[j]);
            }
          const auto rows = M.rows();
          perceptron_kernel()(rows.n_rows,
                            rows.start,
                            rows.columns,
                            rows.values,
                            M.column_values(x),
                            r,
                            y,
                            p,
                            weights.a,
                            weights.b,
                            assign);
          return;
        }
      std::vector<double> W0(n_hidden), W1(n_hidden), c(n_hidden), w(n_hidden);
      for (unsigned int j = 0; j < n_hidden; ++j)
        {
          W0[j] = weights.W[2 * j];
          W1[j] = weights.W[2 * j + 1];
          c[j]  = sigma * weights.bias[j];
          w[j]  = weights.w[j];
        }
      const double a = weights.a, b = weights.b;
      const auto   layer = [&](const int i, const double m) {
        const double ri     = r[i];
        double       update = a * ri + b * m;
        // Branch-free: the sign of the hidden units is unpredictable.
        for (unsigned int j = 0; j < n_hidden; ++j)
          update += w[j] * std::max(W0[j] * ri + W1[j] * m + c[j], 0.);
        if (assign)
          y[i] = update;
        else
          y[i] += update;
      };
      M.for_each_row(x, layer);
    }
  } // namespace


  void
  DirectionNetwork::initialize(const TrilinosWrappers::SparseMatrix &A,
                               const DirectionNetworkModel          &new_model,
                               const SystemStructure                &structure)
  {
    model = new_model;
    // The level matrices read the hierarchy's arrays in place: drop them
    // before the hierarchy is rebuilt (also when that throws).
    level_matrices.clear();
    level_prolongations.clear();
    hierarchy.initialize(A, model.hierarchy, structure);
    Timer              timer;
    const unsigned int n_levels = hierarchy.n_levels();
    const MPI_Comm     comm     = A.get_mpi_communicator();
    level_matrices.clear();
    level_prolongations.clear();
    level_sigma.assign(n_levels, 0.);
    for (unsigned int l = 0; l < n_levels; ++l)
      {
        level_matrices.push_back(
          std::make_shared<LevelMatrix>(hierarchy.matrix(l)));
        if (l + 1 < n_levels)
          level_prolongations.push_back(
            std::make_shared<LevelMatrix>(hierarchy.prolongation(l)));
      }
    for (Vectors *vectors : {&rhs,
                             &solution,
                             &residual,
                             &saved_rhs,
                             &accumulated,
                             &first_direction,
                             &first_image,
                             &second_image})
      vectors->assign(n_levels, TrilinosWrappers::MPI::Vector());
    const bool w_cycle = model.cycle_index > 1 && !model.krylov_cycle;
    for (unsigned int l = 0; l < n_levels; ++l)
      {
        rhs[l].reinit(hierarchy.locally_owned(l), comm);
        for (Vectors *vectors : {&solution, &residual})
          (*vectors)[l].reinit(rhs[l]);
        if (w_cycle)
          for (Vectors *vectors : {&saved_rhs, &accumulated})
            (*vectors)[l].reinit(rhs[l]);
        if (model.krylov_cycle)
          for (Vectors *vectors :
               {&saved_rhs, &first_direction, &first_image, &second_image})
            (*vectors)[l].reinit(rhs[l]);
      }
    copy_time = timer.wall_time();
  }


  void
  DirectionNetwork::set_weights(const DirectionNetworkModel &new_model)
  {
    const auto same_shape = [](const SmootherWeights &x,
                               const SmootherWeights &y) {
      return x.hidden == y.hidden && x.W.size() == y.W.size() &&
             x.bias.size() == y.bias.size() && x.w.size() == y.w.size();
    };
    AssertThrow(
      new_model.pre_layers == model.pre_layers &&
        new_model.post_layers == model.post_layers &&
        new_model.coarse_layers == model.coarse_layers &&
        new_model.cycle_index == model.cycle_index &&
        new_model.krylov_cycle == model.krylov_cycle &&
        new_model.flatten().size() == model.flatten().size() &&
        same_shape(new_model.pre, model.pre) &&
        same_shape(new_model.post, model.post) &&
        same_shape(new_model.coarse, model.coarse),
      ExcMessage("DirectionNetwork::set_weights(): the new weights belong "
                 "to a network of another shape (layers, cycle or width)."));
    const AggregationHierarchy::AdditionalData kept = model.hierarchy;
    model                                           = new_model;
    model.hierarchy                                 = kept;
  }


  const DirectionNetworkModel &
  DirectionNetwork::get_model() const
  {
    return model;
  }


  void
  DirectionNetwork::reinit_values(const TrilinosWrappers::SparseMatrix &A)
  {
    AssertThrow(!level_matrices.empty(),
                ExcMessage(
                  "DirectionNetwork::reinit_values() before initialize()."));
    hierarchy.reinit_values(A);
    Timer timer;
    for (unsigned int l = 0; l < level_matrices.size(); ++l)
      {
        level_matrices[l]->update_values(hierarchy.matrix(l));
        if (l + 1 < level_matrices.size())
          level_prolongations[l]->update_values(hierarchy.prolongation(l));
      }
    copy_time = timer.wall_time();
  }


  const AggregationHierarchy &
  DirectionNetwork::get_hierarchy() const
  {
    return hierarchy;
  }


  std::string
  DirectionNetwork::kernel()
  {
#if defined(DEALII_LEARNED_HAVE_AVX2_KERNEL)
    return perceptron_kernel() == &perceptron_rows_8_avx2 ? "avx2" : "generic";
#else
    return "generic";
#endif
  }


  double
  DirectionNetwork::copy_seconds() const
  {
    return copy_time;
  }


  void
  DirectionNetwork::smooth(const SmootherWeights &weights,
                           const unsigned int     level,
                           const unsigned int     n_layers,
                           const bool             solution_is_zero) const
  {
    const LevelMatrix &M = *level_matrices[level];
    // The root-mean-square of the level's right-hand side, which the pre-
    // and post-smoothing of one visit share (rhs does not change between
    // them).
    if (solution_is_zero)
      level_sigma[level] = rhs[level].l2_norm() /
                           std::sqrt(static_cast<double>(rhs[level].size()));
    const double sigma = level_sigma[level];
    if (!(sigma > 0.))
      {
        // Zero right-hand side: the solution stays (or becomes) 0.
        if (solution_is_zero)
          solution[level] = 0.;
        return;
      }

    double *y = solution[level].begin();
    for (unsigned int k = 0; k < n_layers; ++k)
      {
        // The first layer from y = 0 reads the right-hand side itself.
        const bool    first = (k == 0 && solution_is_zero);
        const double *r     = first ? rhs[level].begin() : nullptr;
        if (!first)
          {
            // residual = rhs - M y
            double       *res = residual[level].begin();
            const double *f   = rhs[level].begin();
            M.for_each_row(solution[level], [&](const int i, const double My) {
              res[i] = f[i] - My;
            });
            r = res;
          }
        // The message m = M r row by row, and the perceptron on (r, m)
        // at once: y does not enter M r, so it can be updated in place.
        const auto &x = first ? rhs[level] : residual[level];
        apply_perceptron(M, weights, sigma, x, r, y, first);
      }
  }


  void
  DirectionNetwork::cycle(const unsigned int level) const
  {
    if (level + 1 == hierarchy.n_levels())
      {
        smooth(model.coarse, level, model.coarse_layers, true);
        return;
      }
    smooth(model.pre, level, model.pre_layers, true);

    // Restriction of the residual: coarse rhs = S P^T (rhs - M solution).
    const unsigned int coarse = level + 1;
    const LevelMatrix &P      = *level_prolongations[level];
    const auto        &S      = hierarchy.inverse_sqrt_diagonal(coarse);
    {
      double       *res = residual[level].begin();
      const double *f   = rhs[level].begin();
      level_matrices[level]->for_each_row(solution[level],
                                          [&](const int i, const double My) {
                                            res[i] = f[i] - My;
                                          });
    }
    {
      P.transpose_vmult(rhs[coarse], residual[level]);
      rhs[coarse].scale(S);
    }

    cycle(coarse);
    if (model.krylov_cycle && coarse + 1 < hierarchy.n_levels())
      krylov_correction(coarse);
    else if (model.cycle_index > 1 && coarse + 1 < hierarchy.n_levels())
      {
        // More visits of the coarse level, each on the residual the ones
        // before left.
        const LevelMatrix &M = *level_matrices[coarse];
        saved_rhs[coarse]    = rhs[coarse];
        accumulated[coarse]  = solution[coarse];
        for (unsigned int k = 1; k < model.cycle_index; ++k)
          {
            double       *f     = rhs[coarse].begin();
            const double *saved = saved_rhs[coarse].begin();
            M.for_each_row(accumulated[coarse],
                           [&](const int i, const double Mx) {
                             f[i] = saved[i] - Mx;
                           });
            cycle(coarse);
            accumulated[coarse] += solution[coarse];
          }
        solution[coarse] = accumulated[coarse];
      }

    // Prolongation: solution += gamma P S (coarse solution).
    solution[coarse].scale(S);
    {
      double      *y     = solution[level].begin();
      const double gamma = model.coarse_correction_scale;
      P.for_each_row(solution[coarse],
                     [&](const int i, const double Px) { y[i] += gamma * Px; });
    }

    smooth(model.post, level, model.post_layers, false);
  }


  void
  DirectionNetwork::krylov_correction(const unsigned int l) const
  {
    // On entry solution[l] = B rhs[l], the output of one cycle. Two steps
    // of flexible CG on M z = v (v = rhs[l]) preconditioned by the cycle B,
    // from z = 0:
    //   c = B v, t = M c, v' = v - (c.v / c.t) t, d = B v', u = M d,
    //   z = (c.v/rho - gamma (d.v')/(rho beta)) c + (d.v'/beta) d
    // with rho = c.t, gamma = d.t, beta = d.u - gamma^2/rho.
    const LevelMatrix &M       = *level_matrices[l];
    const auto         product = [&M](TrilinosWrappers::MPI::Vector       &y,
                              const TrilinosWrappers::MPI::Vector &x) {
      double *target = y.begin();
      M.for_each_row(x, [&](const int i, const double Mx) { target[i] = Mx; });
    };
    first_direction[l] = solution[l];
    product(first_image[l], first_direction[l]);
    const double rho    = first_direction[l] * first_image[l];
    const double alpha1 = first_direction[l] * rhs[l];
    // A degenerate first direction (zero right-hand side, or a cycle that
    // is not positive on it): keep the plain cycle.
    if (!(rho > 0.) || !std::isfinite(rho))
      return;
    saved_rhs[l] = rhs[l];
    rhs[l].add(-alpha1 / rho, first_image[l]);
    cycle(l);
    // Now solution[l] = d = B v' and rhs[l] = v'.
    product(second_image[l], solution[l]);
    const double gamma  = solution[l] * first_image[l];
    const double du     = solution[l] * second_image[l];
    const double beta   = du - gamma * gamma / rho;
    const double alpha2 = solution[l] * rhs[l];
    rhs[l]              = saved_rhs[l];
    if (!(beta > 1e-12 * du) || !std::isfinite(beta))
      {
        solution[l] = first_direction[l];
        solution[l] *= alpha1 / rho;
        return;
      }
    solution[l] *= alpha2 / beta;
    solution[l].add(alpha1 / rho - gamma * alpha2 / (rho * beta),
                    first_direction[l]);
  }


  void
  DirectionNetwork::vmult(TrilinosWrappers::MPI::Vector       &q,
                          const TrilinosWrappers::MPI::Vector &r) const
  {
    AssertThrow(!rhs.empty(),
                ExcMessage("DirectionNetwork::vmult() before initialize()."));
    AssertThrow(r.size() == rhs[0].size() && q.size() == rhs[0].size(),
                ExcMessage("DirectionNetwork: vectors of size " +
                           std::to_string(r.size()) + " and " +
                           std::to_string(q.size()) +
                           " for a network set up on a matrix of size " +
                           std::to_string(rhs[0].size()) + "."));
    // Decided on every rank (one rank's mismatch must not leave the others
    // in the products' ghost exchange).
    AssertThrow(Utilities::MPI::min(static_cast<int>(
                                      r.locally_owned_elements() ==
                                        rhs[0].locally_owned_elements() &&
                                      q.locally_owned_elements() ==
                                        rhs[0].locally_owned_elements()),
                                    rhs[0].get_mpi_communicator()) == 1,
                ExcMessage("DirectionNetwork: the vectors are distributed "
                           "differently from the rows of the matrix the "
                           "network was set up on; give it vectors with the "
                           "matrix's locally owned rows."));
    // v_0 = D^{-1/2} r, N(r) = D^{-1/2} y_0, each in one pass.
    const double     *s = hierarchy.inverse_sqrt_diagonal(0).begin();
    const std::size_t n = rhs[0].locally_owned_size();
    {
      double       *v  = rhs[0].begin();
      const double *in = r.begin();
      for (std::size_t i = 0; i < n; ++i)
        v[i] = in[i] * s[i];
    }
    cycle(0);
    {
      double       *out = q.begin();
      const double *y   = solution[0].begin();
      for (std::size_t i = 0; i < n; ++i)
        out[i] = y[i] * s[i];
    }
  }


  void
  DirectionNetwork::vmult(Vector<double> &q, const Vector<double> &r) const
  {
    AssertThrow(!rhs.empty(),
                ExcMessage("DirectionNetwork::vmult() before initialize()."));
    AssertThrow(rhs[0].locally_owned_size() == rhs[0].size(),
                ExcMessage("DirectionNetwork: serial vectors need a network "
                           "set up on one MPI rank; use Trilinos MPI vectors "
                           "in parallel."));
    if (serial_in.size() != rhs[0].size())
      {
        serial_in.reinit(rhs[0]);
        serial_out.reinit(rhs[0]);
      }
    AssertThrow(r.size() == rhs[0].size() && q.size() == rhs[0].size(),
                ExcMessage("DirectionNetwork: vectors of size " +
                           std::to_string(r.size()) + " and " +
                           std::to_string(q.size()) +
                           " for a network set up on a matrix of size " +
                           std::to_string(rhs[0].size()) + "."));
    std::copy(r.begin(), r.end(), serial_in.begin());
    vmult(serial_out, serial_in);
    std::copy(serial_out.begin(), serial_out.end(), q.begin());
  }
} // namespace dealii_learned
