// LibTorch first: deal.II's Assert macro clashes with LibTorch's struct
// Assert if deal.II comes first.
#include <torch/torch.h>

#include <deal.II/base/exceptions.h>

#include <deal.II/lac/trilinos_sparse_matrix.h>

#include <dealii-learned/base/trilinos_rows.h>
#include <dealii-learned/training/direction_trainer.h>

#include <array>
#include <cmath>
#include <cstdint>
#include <cstdio>
#include <memory>

#include "torch_archives.h"

namespace dealii_learned
{
  using namespace dealii;

  namespace
  {
    const auto f64 = torch::TensorOptions().dtype(torch::kFloat64);
    const auto i64 = torch::TensorOptions().dtype(torch::kInt64);

    /** A serial Trilinos matrix as a torch CSR tensor. */
    torch::Tensor
    to_csr(const TrilinosWrappers::SparseMatrix &M)
    {
      std::vector<int64_t> rows{0}, cols;
      std::vector<double>  values;
      for (unsigned int i = 0; i < M.m(); ++i)
        {
          for_each_entry_in_row(M,
                                i,
                                [&](const auto column, const double value) {
                                  cols.push_back(column);
                                  values.push_back(value);
                                });
          rows.push_back(cols.size());
        }
      return torch::sparse_csr_tensor(torch::tensor(rows, i64),
                                      torch::tensor(cols, i64),
                                      torch::tensor(values, f64),
                                      {int64_t(M.m()), int64_t(M.n())},
                                      f64);
    }


    /** The transpose of a serial Trilinos matrix as a torch CSR tensor,
     *  built from its rows without forming anything dense. */
    torch::Tensor
    to_csr_transpose(const TrilinosWrappers::SparseMatrix &M)
    {
      std::vector<std::vector<std::pair<int64_t, double>>> columns(M.n());
      for (unsigned int i = 0; i < M.m(); ++i)
        for_each_entry_in_row(M, i, [&](const auto column, const double value) {
          columns[column].emplace_back(i, value);
        });
      std::vector<int64_t> rows{0}, cols;
      std::vector<double>  values;
      for (const auto &c : columns)
        {
          for (const auto &e : c)
            {
              cols.push_back(e.first);
              values.push_back(e.second);
            }
          rows.push_back(cols.size());
        }
      return torch::sparse_csr_tensor(torch::tensor(rows, i64),
                                      torch::tensor(cols, i64),
                                      torch::tensor(values, f64),
                                      {int64_t(M.n()), int64_t(M.m())},
                                      f64);
    }


    torch::Tensor
    to_tensor(const TrilinosWrappers::MPI::Vector &v)
    {
      return torch::from_blob(const_cast<double *>(v.begin()),
                              {int64_t(v.locally_owned_size()), 1},
                              f64)
        .clone();
    }


    /** The values of @p t (detached) as a vector. */
    std::vector<double>
    values_of(const torch::Tensor &t)
    {
      const auto c = t.detach().contiguous();
      return std::vector<double>(c.data_ptr<double>(),
                                 c.data_ptr<double>() + c.numel());
    }


    /** @p v as an n x 1 column (a copy). */
    torch::Tensor
    to_column(const std::vector<double> &v)
    {
      return torch::tensor(v, f64).reshape({int64_t(v.size()), 1});
    }


    /**
     * A sparse matrix of the forward pass: a constant CSR tensor, or
     * rows, columns and values (whose values may carry gradients: the
     * learned prolongation's and its Galerkin products'), applied by a
     * gather and a scatter.
     */
    struct SparseOperator
    {
      torch::Tensor csr;
      torch::Tensor rows, cols, values;
      int64_t       n_rows = 0;

      torch::Tensor
      operator*(const torch::Tensor &y) const
      {
        if (csr.defined())
          return torch::matmul(csr, y);
        return torch::zeros({n_rows, y.size(1)}, f64)
          .index_add(0, rows, values.unsqueeze(1) * y.index_select(0, cols));
      }
    };


    /** One level of the network's hierarchy as tensors. */
    struct Level
    {
      SparseOperator M;  // unit-diagonal level matrix
      SparseOperator P;  // prolongation to this level from the next
      SparseOperator PT; // its transpose
      torch::Tensor  S;  // scaling of the next level, n_{l+1} x 1
    };


    /**
     * What the learned prolongation takes from the hierarchy built with
     * the current weights (constant between refreshes), for one level but
     * the coarsest.
     */
    struct LevelConstants
    {
      // The tentative prolongation P_0 in CSR: row pointers, columns and
      // values, and the row of each entry.
      torch::Tensor p0_start, p0_cols, p0_values, p0_rows;
      // The first coarse unknown of each row's aggregate (-1: none).
      torch::Tensor aggregate;
      // Rows that are smoothed (their P row has entries).
      torch::Tensor smoothed;
      // The pattern of P: sorted keys row * n_coarse + column.
      torch::Tensor keys, p_rows, p_cols;
      int64_t       n_rows = 0, n_coarse = 0;
      // Rows of P truncated to the pattern keep their full sums.
      bool truncated = false;
      // A scalar level (one near-kernel vector), not a system's.
      bool scalar = true;
      // The scaling of the next level (its spectrum normalisation
      // included), n_{l+1}.
      torch::Tensor next_scaling;
    };


    /** The entries of a serial Trilinos matrix as (rows, cols, values). */
    std::array<torch::Tensor, 3>
    to_coo(const TrilinosWrappers::SparseMatrix &M)
    {
      std::vector<int64_t> rows, cols;
      std::vector<double>  values;
      for (unsigned int i = 0; i < M.m(); ++i)
        for_each_entry_in_row(M, i, [&](const auto column, const double value) {
          rows.push_back(i);
          cols.push_back(column);
          values.push_back(value);
        });
      return {torch::tensor(rows, i64),
              torch::tensor(cols, i64),
              torch::tensor(values, f64)};
    }


    struct Sample
    {
      unsigned int  matrix;
      torch::Tensor b; // n x 1, unit norm
      torch::Tensor x; // n x 1, A x = b (the solver loss only)
    };


    /** Leaves of the autograd graph for one smoother layer. */
    struct LayerParameters
    {
      torch::Tensor W, bias, w, a, b;

      explicit LayerParameters(const SmootherWeights &s)
      {
        W    = torch::tensor(s.W, f64).reshape({int64_t(s.hidden), 2});
        bias = torch::tensor(s.bias, f64);
        w    = torch::tensor(s.w, f64);
        a    = torch::tensor({s.a}, f64);
        b    = torch::tensor({s.b}, f64);
        for (auto *t : {&W, &bias, &w, &a, &b})
          t->set_requires_grad(true);
      }

      std::vector<torch::Tensor>
      list() const
      {
        return {W, bias, w, a, b};
      }

      /** Sets the values of the leaves to @p s's (same shapes). */
      void
      assign(const SmootherWeights &s)
      {
        torch::NoGradGuard no_grad;
        AssertThrow(int64_t(s.W.size()) == W.numel() &&
                      int64_t(s.bias.size()) == bias.numel() &&
                      int64_t(s.w.size()) == w.numel(),
                    ExcMessage("DirectionTrainer: the weights to set have "
                               "another layer width than the trainer's."));
        W.copy_(torch::tensor(s.W, f64).reshape(W.sizes()));
        bias.copy_(torch::tensor(s.bias, f64));
        w.copy_(torch::tensor(s.w, f64));
        a.fill_(s.a);
        b.fill_(s.b);
      }

      void
      store(SmootherWeights &s) const
      {
        s.W    = values_of(W);
        s.bias = values_of(bias);
        s.w    = values_of(w);
        s.a    = a.item<double>();
        s.b    = b.item<double>();
      }
    };


    /** Leaves of the autograd graph for the per-edge prolongation
     *  smoothing (ProlongationSmoothing). */
    struct EdgeParameters
    {
      torch::Tensor W, bias, w, b;

      explicit EdgeParameters(const ProlongationSmoothing &s)
      {
        assign_new(s);
      }

      void
      assign_new(const ProlongationSmoothing &s)
      {
        W    = torch::tensor(s.W, f64).reshape({int64_t(s.hidden), 3});
        bias = torch::tensor(s.bias, f64);
        w    = torch::tensor(s.w, f64);
        b    = torch::tensor({s.b}, f64);
        for (auto *t : {&W, &bias, &w, &b})
          t->set_requires_grad(true);
      }

      std::vector<torch::Tensor>
      list() const
      {
        return {W, bias, w, b};
      }

      void
      assign(const ProlongationSmoothing &s)
      {
        torch::NoGradGuard no_grad;
        AssertThrow(int64_t(s.W.size()) == W.numel() &&
                      int64_t(s.w.size()) == w.numel(),
                    ExcMessage("DirectionTrainer: the prolongation smoothing "
                               "to set has another width than the "
                               "trainer's (or none: a model without learned "
                               "prolongation weights)."));
        W.copy_(torch::tensor(s.W, f64).reshape(W.sizes()));
        bias.copy_(torch::tensor(s.bias, f64));
        w.copy_(torch::tensor(s.w, f64));
        b.fill_(s.b);
      }

      void
      store(ProlongationSmoothing &s) const
      {
        s.hidden = W.size(0);
        s.W      = values_of(W);
        s.bias   = values_of(bias);
        s.w      = values_of(w);
        s.b      = b.item<double>();
      }

      /** The factor 1 + tanh(...) of ProlongationSmoothing::factor() for
       *  edges with features @p F (n x 3). */
      torch::Tensor
      factor(const torch::Tensor &F) const
      {
        const auto h = torch::relu(torch::matmul(F, W.t()) + bias);
        return 1. + torch::tanh(torch::matmul(h, w) + b);
      }
    };


    /** Small random first-layer weights, the output weights zero: the
     *  factor starts at 1 (smoothed aggregation's one omega). */
    ProlongationSmoothing
    initial_smoothing(const unsigned int hidden, const unsigned int seed)
    {
      auto       generator = at::detail::createCPUGenerator(seed + 7919u);
      const auto draw      = [&](const int64_t n, const double scale) {
        return values_of(torch::randn({n}, generator, f64) * scale);
      };
      ProlongationSmoothing s;
      s.hidden = hidden;
      s.W      = draw(3 * int64_t(hidden), 1.);
      s.bias   = draw(hidden, 0.1);
      s.w.assign(hidden, 0.);
      s.b = 0.;
      return s;
    }
  } // namespace


  struct DirectionTrainer::Implementation
  {
    TrainingSettings      settings;
    DirectionNetworkModel start;
    LayerParameters       pre, post, coarse;
    /** The learned factor on the coarse correction. */
    torch::Tensor                       coarse_correction_scale;
    std::unique_ptr<torch::optim::Adam> optimizer;
    torch::Generator                    generator;
    unsigned int                        epochs = 0;
    /** Steps of train_step() so far (which matrix is next). */
    unsigned int steps = 0;

    /** The learned prolongation's leaves (learn_prolongation only). */
    std::unique_ptr<EdgeParameters> edges;
    /** Counts the changes of the edge weights (optimizer steps and
     *  set_weights()); each matrix records the count its hierarchy was
     *  built with. */
    std::uint64_t weights_version = 0;

    struct MatrixData
    {
      torch::Tensor      A;  // original matrix
      torch::Tensor      s0; // D^{-1/2}, n x 1
      std::vector<Level> levels;
      // For the learned prolongation: the matrix and its structure (to
      // rebuild the hierarchy with new weights), level 0's entries, and
      // what the hierarchy gives per level.
      std::shared_ptr<const TrilinosWrappers::SparseMatrix> matrix;
      SystemStructure                                       structure;
      std::array<torch::Tensor, 3>                          level0;
      std::vector<LevelConstants>                           constants;
      std::uint64_t                                         weights_version = 0;
    };
    std::vector<MatrixData> matrices;
    std::vector<Sample>     samples;

    Implementation(const TrainingSettings      &settings,
                   const DirectionNetworkModel &start)
      : settings(settings)
      , start(start)
      , pre(start.pre)
      , post(start.post)
      , coarse(start.coarse)
      , coarse_correction_scale(
          torch::tensor({start.coarse_correction_scale}, f64))
      , generator(at::detail::createCPUGenerator(settings.seed))
    {
      coarse_correction_scale.set_requires_grad(true);
      std::vector<torch::Tensor> parameters{coarse_correction_scale};
      for (const auto *p : {&pre, &post, &coarse})
        for (const auto &t : p->list())
          parameters.push_back(t);
      if (settings.learn_prolongation)
        {
          auto &smoothing = this->start.hierarchy.prolongation_smoothing;
          if (smoothing.empty())
            smoothing =
              initial_smoothing(std::max(1u, settings.prolongation_hidden),
                                settings.seed);
          edges = std::make_unique<EdgeParameters>(smoothing);
          for (const auto &t : edges->list())
            parameters.push_back(t);
        }
      optimizer = std::make_unique<torch::optim::Adam>(
        parameters, torch::optim::AdamOptions(settings.learning_rate));
    }


    /** The same layer as DirectionNetwork::smooth(), on a batch. */
    torch::Tensor
    smooth(const LayerParameters &p,
           const SparseOperator  &M,
           const torch::Tensor   &v,
           torch::Tensor          y,
           const unsigned int     n_layers) const
    {
      const double n      = double(v.size(0));
      const auto   square = v.pow(2).sum(0, true) / n;
      // A zero right-hand side leaves y = 0, as in DirectionNetwork (and
      // the square root is taken only where it has a finite derivative).
      const auto nonzero = (square > 0).to(torch::kFloat64);
      const auto sigma =
        torch::where(square > 0, square, torch::ones_like(square)).sqrt();
      for (unsigned int k = 0; k < n_layers; ++k)
        {
          const auto residual = v - M * y;
          const auto message  = M * residual;
          const auto f0 = residual / sigma, f1 = message / sigma;
          const auto h =
            torch::relu(f0.unsqueeze(-1) * p.W.select(1, 0) +
                        f1.unsqueeze(-1) * p.W.select(1, 1) + p.bias);
          const auto update = p.a * f0 + p.b * f1 + (h * p.w).sum(-1);
          y                 = y + nonzero * sigma * update;
        }
      return y;
    }


    torch::Tensor
    cycle(const std::vector<Level> &levels,
          const unsigned int        l,
          const torch::Tensor      &v) const
    {
      const auto &M = levels[l].M;
      auto        y = torch::zeros_like(v);
      if (l + 1 == levels.size())
        return smooth(coarse, M, v, y, start.coarse_layers);
      y                    = smooth(pre, M, v, y, start.pre_layers);
      const auto &L        = levels[l];
      const auto  residual = v - M * y;
      const auto  vc       = L.S * (L.PT * residual);
      auto        yc       = cycle(levels, l + 1, vc);
      if (start.krylov_cycle && l + 2 < levels.size())
        yc = krylov_correction(levels, l + 1, vc, yc);
      // W-cycle and beyond: more coarse cycles on the residual left.
      else if (l + 2 < levels.size())
        for (unsigned int k = 1; k < start.cycle_index; ++k)
          yc = yc + cycle(levels, l + 1, vc - levels[l + 1].M * yc);
      y = y + coarse_correction_scale * (L.P * (L.S * yc));
      return smooth(post, M, v, y, start.post_layers);
    }


    /** The same as DirectionNetwork::krylov_correction(), column by
     *  column: two flexible CG steps on M z = v with c = B v given. */
    torch::Tensor
    krylov_correction(const std::vector<Level> &levels,
                      const unsigned int        l,
                      const torch::Tensor      &v,
                      const torch::Tensor      &c) const
    {
      const auto &M      = levels[l].M;
      const auto  t      = M * c;
      const auto  rho    = (c * t).sum(0, true);
      const auto  alpha1 = (c * v).sum(0, true);
      const auto  usable = (rho > 0).logical_and(torch::isfinite(rho));
      const auto  rho_s  = torch::where(usable, rho, torch::ones_like(rho));
      const auto  v2     = v - alpha1 / rho_s * t;
      const auto  d      = cycle(levels, l, v2);
      const auto  u      = M * d;
      const auto  gamma  = (d * t).sum(0, true);
      const auto  du     = (d * u).sum(0, true);
      const auto  beta   = du - gamma * gamma / rho_s;
      const auto  alpha2 = (d * v2).sum(0, true);
      const auto  second =
        (beta > 1e-12 * du).logical_and(torch::isfinite(beta));
      const auto beta_s = torch::where(second, beta, torch::ones_like(beta));
      const auto two =
        (alpha1 / rho_s - gamma * alpha2 / (rho_s * beta_s)) * c +
        alpha2 / beta_s * d;
      const auto one = alpha1 / rho_s * c;
      return torch::where(usable, torch::where(second, two, one), c);
    }


    torch::Tensor
    forward(const MatrixData         &data,
            const std::vector<Level> &levels,
            const torch::Tensor      &r) const
    {
      return data.s0 * cycle(levels, 0, data.s0 * r);
    }


    /**
     * The levels of @p data for the current weights: the constant ones of
     * the hierarchy, or, when the prolongation smoothing is learned, the
     * prolongations and coarse matrices computed here from the edge
     * weights (so that gradients reach them):
     *
     *   P = P_0 - (Omega .* Â) P_0, truncated to the hierarchy's pattern
     *   with the full rows' sums where the hierarchy truncates,
     *   Â_{l+1} = S (P^T Â P) S.
     */
    std::vector<Level>
    levels_of(const MatrixData &data) const
    {
      if (!edges)
        return data.levels;
      std::vector<Level> levels(data.levels.size());
      // The current level's entries.
      torch::Tensor rows = data.level0[0], cols = data.level0[1],
                    values = data.level0[2];
      const double omega   = start.hierarchy.prolongation_damping;
      for (std::size_t l = 0; l < levels.size(); ++l)
        {
          const int64_t n =
            l == 0 ? data.A.size(0) : data.constants[l - 1].n_coarse;
          levels[l].M =
            l == 0 ? data.levels[0].M :
                     SparseOperator{torch::Tensor(), rows, cols, values, n};
          if (l + 1 == levels.size())
            break;
          const LevelConstants &K = data.constants[l];
          // Edge weights from the edge features, on the smoothed rows.
          const auto agg_i = K.aggregate.index_select(0, rows);
          const auto agg_j = K.aggregate.index_select(0, cols);
          // The diagonal counts as the same aggregate, as in C++ (also for
          // a system's row whose aggregate kept no vector).
          const auto same =
            (agg_i == agg_j).logical_and(agg_i >= 0).logical_or(rows == cols);
          const auto F = torch::stack({values.detach(),
                                       same.to(torch::kFloat64),
                                       (rows == cols).to(torch::kFloat64)},
                                      1);
          // As ProlongationSmoothing defines them: the row factors g_i
          // (of the diagonal entries) on all terms and, in a scalar
          // hierarchy, the edge factors f_ij off the diagonal with what
          // they leave lumped into the diagonal.
          const auto f        = edges->factor(F);
          const auto diagonal = rows == cols;
          const auto g =
            torch::ones({n}, f64).index_put({rows.masked_select(diagonal)},
                                            f.masked_select(diagonal));
          torch::Tensor term = values;
          if (K.scalar)
            {
              const auto kernel =
                torch::zeros({n}, f64).index_add(0, K.p0_rows, K.p0_values);
              const auto k_j  = kernel.index_select(0, cols);
              const auto kept = diagonal.logical_not().logical_and(agg_j >= 0);
              const auto lumped = torch::zeros({n}, f64).index_add(
                0,
                rows,
                torch::where(kept,
                             (1. - f) * values * k_j,
                             torch::zeros_like(values)));
              const auto per_row =
                torch::where(kernel > 0.,
                             lumped / torch::where(kernel > 0.,
                                                   kernel,
                                                   torch::ones_like(kernel)),
                             torch::zeros_like(kernel));
              term = torch::where(diagonal,
                                  values + per_row.index_select(0, rows),
                                  f * values);
            }
          const auto coefficient =
            torch::where(K.smoothed.index_select(0, rows),
                         -omega * g.index_select(0, rows) * term,
                         torch::zeros_like(values));
          // Each edge (i, j) times the entries of P_0's row j.
          const auto start_j = K.p0_start.index_select(0, cols);
          const auto count   = K.p0_start.index_select(0, cols + 1) - start_j;
          const auto edge    = torch::repeat_interleave(count);
          const auto first =
            (torch::cumsum(count, 0) - count).index_select(0, edge);
          const auto entry = start_j.index_select(0, edge) +
                             torch::arange(edge.size(0), i64) - first;
          const auto c_rows   = rows.index_select(0, edge);
          const auto c_cols   = K.p0_cols.index_select(0, entry);
          const auto c_values = coefficient.index_select(0, edge) *
                                K.p0_values.index_select(0, entry);
          // Into P's pattern (entries outside it were truncated).
          const int64_t n_entries = K.keys.size(0);
          const auto    slot_of   = [&](const torch::Tensor &key) {
            const auto slot = torch::searchsorted(K.keys, key);
            const auto clamped =
              slot.clamp_max(std::max<int64_t>(n_entries - 1, 0));
            const auto found =
              (slot < n_entries)
                .logical_and(K.keys.index_select(0, clamped) == key);
            return std::make_pair(clamped, found);
          };
          const auto [own_slot, own_found] =
            slot_of(K.p0_rows * K.n_coarse + K.p0_cols);
          const auto [c_slot, c_found] = slot_of(c_rows * K.n_coarse + c_cols);
          auto P_values =
            torch::zeros({n_entries}, f64)
              .index_add(0,
                         own_slot,
                         torch::where(own_found,
                                      K.p0_values,
                                      torch::zeros_like(K.p0_values)))
              .index_add(0,
                         c_slot,
                         torch::where(c_found,
                                      c_values,
                                      torch::zeros_like(c_values)));
          if (K.truncated)
            {
              const auto full = torch::zeros({n}, f64)
                                  .index_add(0, K.p0_rows, K.p0_values)
                                  .index_add(0, c_rows, c_values);
              const auto kept =
                torch::zeros({n}, f64).index_add(0, K.p_rows, P_values);
              // row_sum_factor()'s rule: the kept entries carry the full
              // sum only with its sign and within a factor 2 of it.
              const auto ratio =
                full / torch::where(kept != 0., kept, torch::ones_like(kept));
              const auto factor = torch::where((kept * full > 0.)
                                                 .logical_and(ratio >= 0.5)
                                                 .logical_and(ratio <= 2.),
                                               ratio,
                                               torch::ones_like(kept));
              P_values          = P_values * factor.index_select(0, K.p_rows);
            }
          levels[l].P  = {torch::Tensor(), K.p_rows, K.p_cols, P_values, n};
          levels[l].PT = {
            torch::Tensor(), K.p_cols, K.p_rows, P_values, K.n_coarse};
          levels[l].S = K.next_scaling.unsqueeze(1);

          // The Galerkin product, scaled.
          const auto M_sparse =
            at::sparse_coo_tensor(torch::stack({rows, cols}), values, {n, n})
              .coalesce();
          const auto P_sparse =
            at::sparse_coo_tensor(torch::stack({K.p_rows, K.p_cols}),
                                  P_values,
                                  {n, K.n_coarse})
              .coalesce();
          const auto PT_sparse =
            at::sparse_coo_tensor(torch::stack({K.p_cols, K.p_rows}),
                                  P_values,
                                  {K.n_coarse, n})
              .coalesce();
          const auto G =
            at::_sparse_mm(PT_sparse, at::_sparse_mm(M_sparse, P_sparse))
              .coalesce();
          const auto indices = G.indices();
          rows               = indices[0];
          cols               = indices[1];
          values = G.values() * K.next_scaling.index_select(0, rows) *
                   K.next_scaling.index_select(0, cols);
        }
      return levels;
    }


    /** The loss of the settings on a batch: right-hand sides @p B and,
     *  for the solver loss, their exact solutions @p X. */
    torch::Tensor
    loss(const MatrixData    &data,
         const torch::Tensor &B,
         const torch::Tensor &X) const
    {
      const std::vector<Level> levels = levels_of(data);
      return settings.loss == "solver" ? solver_loss(data, levels, B, X) :
                                         spectral_loss(data, levels, B);
    }


    /**
     * The hierarchy of @p A for the current weights, as constant levels
     * and, when the prolongation smoothing is learned, what levels_of()
     * takes from it.
     */
    void
    build_hierarchy(MatrixData                           &data,
                    const TrilinosWrappers::SparseMatrix &A,
                    const SystemStructure                &structure) const
    {
      torch::NoGradGuard                   no_grad;
      AggregationHierarchy::AdditionalData settings = start.hierarchy;
      if (edges)
        {
          edges->store(settings.prolongation_smoothing);
          settings.keep_tentative_prolongations = true;
        }
      AggregationHierarchy hierarchy;
      hierarchy.initialize(A, settings, structure);
      data.weights_version = weights_version;
      data.s0              = to_tensor(hierarchy.inverse_sqrt_diagonal(0));
      data.levels.clear();
      data.constants.clear();
      for (unsigned int l = 0; l < hierarchy.n_levels(); ++l)
        {
          Level level;
          level.M.csr = to_csr(hierarchy.matrix(l));
          if (l + 1 < hierarchy.n_levels())
            {
              const auto &P = hierarchy.prolongation(l);
              level.P.csr   = to_csr(P);
              level.PT.csr  = to_csr_transpose(P);
              level.S       = to_tensor(hierarchy.inverse_sqrt_diagonal(l + 1));
            }
          data.levels.push_back(level);
        }
      if (!edges)
        return;
      data.level0 = to_coo(hierarchy.matrix(0));
      // As AggregationHierarchy decides (one component with a near-null
      // space builds the system hierarchy).
      const bool scalar = structure.is_scalar();
      for (unsigned int l = 0; l + 1 < hierarchy.n_levels(); ++l)
        {
          LevelConstants K;
          const auto    &P0 = hierarchy.tentative_prolongation(l);
          const auto    &P  = hierarchy.prolongation(l);
          K.n_rows          = P0.m();
          K.n_coarse        = P0.n();
          std::vector<int64_t> start_of{0}, p0_cols, p0_rows, aggregate;
          std::vector<double>  p0_values;
          for (unsigned int i = 0; i < P0.m(); ++i)
            {
              int64_t first = -1;
              for_each_entry_in_row(P0, i, [&](const auto J, const double v) {
                p0_cols.push_back(J);
                p0_rows.push_back(i);
                p0_values.push_back(v);
                first = first < 0 ? int64_t(J) : std::min<int64_t>(first, J);
              });
              start_of.push_back(p0_cols.size());
              aggregate.push_back(first);
            }
          K.p0_start         = torch::tensor(start_of, i64);
          K.p0_cols          = torch::tensor(p0_cols, i64);
          K.p0_rows          = torch::tensor(p0_rows, i64);
          K.p0_values        = torch::tensor(p0_values, f64);
          K.aggregate        = torch::tensor(aggregate, i64);
          const auto entries = to_coo(P);
          auto       keys    = entries[0] * K.n_coarse + entries[1];
          keys               = std::get<0>(torch::sort(keys));
          K.keys             = keys;
          K.p_rows           = torch::div(keys, K.n_coarse, "floor");
          K.p_cols           = keys - K.p_rows * K.n_coarse;
          K.smoothed =
            torch::zeros({K.n_rows}, i64)
              .index_add(0, K.p_rows, torch::ones_like(K.p_rows)) > 0;
          K.scalar = scalar;
          K.truncated =
            scalar && (l == 0 ? settings.prolongation_truncation > 0. ||
                                  settings.prolongation_max_entries > 0 :
                                settings.prolongation_coarse_max_entries > 0);
          K.next_scaling =
            to_tensor(hierarchy.inverse_sqrt_diagonal(l + 1)).squeeze(1);
          data.constants.push_back(std::move(K));
        }
    }


    /** Builds every matrix's hierarchy anew with the current weights, if
     *  they are learned and changed since. */
    void
    refresh_hierarchies()
    {
      for (unsigned int m = 0; m < matrices.size(); ++m)
        refresh_hierarchy(m);
    }


    /** The same for matrix @p m only, before its training steps, if the
     *  weights changed since its hierarchy was built. */
    void
    refresh_hierarchy(const unsigned int m)
    {
      if (!edges || matrices[m].weights_version == weights_version)
        return;
      build_hierarchy(matrices[m], *matrices[m].matrix, matrices[m].structure);
    }


    /** Mean over the batch of | b - (q.b / q.Aq) A q |^2. */
    torch::Tensor
    spectral_loss(const MatrixData         &data,
                  const std::vector<Level> &levels,
                  const torch::Tensor      &B) const
    {
      const auto Q     = forward(data, levels, B);
      const auto AQ    = torch::matmul(data.A, Q);
      const auto alpha = (Q * B).sum(0, true) / (Q * AQ).sum(0, true);
      return (B - alpha * AQ).pow(2).sum(0).mean();
    }


    /**
     * Mean over the batch of (|x* - x_m|_A / |x*|_A)^(1/m) after m DCDM
     * steps from x_0 = 0, column by column, as SolverDCDM takes them: q =
     * N(r / |r|), A-orthogonal to the last kept directions, x += (q.r /
     * q.Aq) q; a direction without positive curvature is replaced by the
     * residual (made A-orthogonal in turn).
     */
    torch::Tensor
    solver_loss(const MatrixData         &data,
                const std::vector<Level> &levels,
                const torch::Tensor      &B,
                const torch::Tensor      &X) const
    {
      struct Kept
      {
        torch::Tensor p, Ap, pAp;
      };
      std::vector<Kept> kept;
      auto              x = torch::zeros_like(B);
      auto              r = B;
      // Classical Gram-Schmidt, as SolverDCDM: the kept directions are
      // A-orthogonal to each other, so every coefficient comes from q.
      const auto orthogonalise = [&kept](torch::Tensor &q, torch::Tensor &Aq) {
        std::vector<torch::Tensor> betas;
        for (const auto &d : kept)
          betas.push_back((q * d.Ap).sum(0, true) / d.pAp);
        for (std::size_t j = 0; j < kept.size(); ++j)
          {
            q  = q - betas[j] * kept[j].p;
            Aq = Aq - betas[j] * kept[j].Ap;
          }
      };
      const auto curvature = [](const torch::Tensor &q,
                                const torch::Tensor &Aq,
                                const torch::Tensor &qAq) {
        return (qAq > 1e-14 * q.norm(2, 0, true) * Aq.norm(2, 0, true))
          .logical_and(torch::isfinite(qAq));
      };
      for (unsigned int k = 0; k < settings.unrolled_steps; ++k)
        {
          const auto norm = r.norm(2, 0, true);
          const auto safe =
            torch::where(norm > 0, norm, torch::ones_like(norm));
          auto q  = forward(data, levels, r / safe);
          auto Aq = torch::matmul(data.A, q);
          orthogonalise(q, Aq);
          auto qAq    = (q * Aq).sum(0, true);
          auto usable = curvature(q, Aq, qAq);
          // A column without curvature (or not finite) takes the residual
          // instead, as SolverDCDM does.
          if (!usable.all().item<bool>())
            {
              auto q_r  = r;
              auto Aq_r = torch::matmul(data.A, r);
              orthogonalise(q_r, Aq_r);
              q      = torch::where(usable, q, q_r);
              Aq     = torch::where(usable, Aq, Aq_r);
              qAq    = (q * Aq).sum(0, true);
              usable = curvature(q, Aq, qAq);
            }
          // Where even the residual has none (a zero residual: converged),
          // the column takes no step and keeps no direction; masking q and
          // Aq keeps anything not finite out of x and r.
          q                = torch::where(usable, q, torch::zeros_like(q));
          Aq               = torch::where(usable, Aq, torch::zeros_like(Aq));
          const auto qAq_s = torch::where(usable, qAq, torch::ones_like(qAq));
          const auto alpha = (q * r).sum(0, true) / qAq_s;
          x                = x + alpha * q;
          r                = r - alpha * Aq;
          if (settings.kept_directions > 0)
            {
              if (kept.size() == settings.kept_directions)
                kept.erase(kept.begin());
              kept.push_back({q, Aq, qAq_s});
            }
        }
      const auto e       = X - x;
      const auto energy  = (e * torch::matmul(data.A, e)).sum(0);
      const auto initial = (X * B).sum(0);
      return (energy / initial)
        .clamp_min(1e-300)
        .pow(0.5 / settings.unrolled_steps)
        .mean();
    }


    /** The loss on samples of one matrix @p m. */
    torch::Tensor
    batch_loss(const unsigned int                 m,
               const std::vector<const Sample *> &batch) const
    {
      std::vector<torch::Tensor> B, X;
      for (const auto *s : batch)
        {
          B.push_back(s->b);
          if (s->x.defined())
            X.push_back(s->x);
        }
      return loss(matrices[m],
                  torch::cat(B, 1),
                  X.empty() ? torch::Tensor() : torch::cat(X, 1));
    }


    /**
     * Lanczos with full reorthogonalisation on A, started from a random
     * vector; returns the Ritz vectors (n x k) with eigenvalues ascending.
     */
    torch::Tensor
    ritz_vectors(const torch::Tensor &A, const unsigned int steps)
    {
      const int64_t n = A.size(0);
      const int64_t k = std::min<int64_t>(steps, n);
      auto          V = torch::zeros({n, k}, f64);
      auto          T = torch::zeros({k, k}, f64);
      auto          q = torch::randn({n, 1}, generator, f64);
      q               = q / q.norm();
      int64_t m       = 0;
      for (; m < k; ++m)
        {
          V.index_put_({torch::indexing::Slice(), m}, q.squeeze(1));
          auto w = torch::matmul(A, q);
          T.index_put_({m, m}, (w * q).sum());
          // Full reorthogonalisation against all previous vectors.
          const auto Vm = V.index(
            {torch::indexing::Slice(), torch::indexing::Slice(0, m + 1)});
          w                 = w - torch::matmul(Vm, torch::matmul(Vm.t(), w));
          w                 = w - torch::matmul(Vm, torch::matmul(Vm.t(), w));
          const double beta = w.norm().item<double>();
          if (m + 1 == k || beta < 1e-12)
            {
              ++m;
              break;
            }
          T.index_put_({m, m + 1}, beta);
          T.index_put_({m + 1, m}, beta);
          q = w / beta;
        }
      const auto Tm =
        T.index({torch::indexing::Slice(0, m), torch::indexing::Slice(0, m)});
      const auto [eigenvalues, eigenvectors] = torch::linalg::eigh(Tm, "L");
      (void)eigenvalues;
      return torch::matmul(V.index({torch::indexing::Slice(),
                                    torch::indexing::Slice(0, m)}),
                           eigenvectors);
    }
  };


  DirectionTrainer::DirectionTrainer(const TrainingSettings      &settings,
                                     const DirectionNetworkModel &start)
    : impl(std::make_unique<Implementation>(settings, start))
  {
    AssertThrow(settings.batch_size > 0 && settings.samples_per_matrix > 0 &&
                  settings.lanczos_steps > 1,
                ExcMessage("Training: batch size, samples per matrix and "
                           "Lanczos steps must be positive (Lanczos > 1)."));
    AssertThrow(settings.loss == "spectral" || settings.loss == "solver",
                ExcMessage("Training: the loss must be 'spectral' or "
                           "'solver', not '" +
                           settings.loss + "'."));
    AssertThrow(settings.loss != "solver" || settings.unrolled_steps > 0,
                ExcMessage("Training: the solver loss needs at least one "
                           "unrolled step."));
  }


  DirectionTrainer::~DirectionTrainer() = default;


  void
  DirectionTrainer::add_matrix(const TrilinosWrappers::SparseMatrix &A,
                               const SystemStructure                &structure)
  {
    AssertThrow(A.locally_owned_range_indices().n_elements() == A.m(),
                ExcMessage("DirectionTrainer: training matrices must live on "
                           "one MPI rank."));
    torch::NoGradGuard         no_grad;
    Implementation::MatrixData data;
    data.A = to_csr(A);
    if (impl->edges)
      {
        auto copy = std::make_shared<TrilinosWrappers::SparseMatrix>();
        copy->copy_from(A);
        data.matrix    = copy;
        data.structure = structure;
      }
    impl->build_hierarchy(data, A, structure);

    // Right-hand sides: random combinations of Ritz vectors, the lower half
    // of the spectrum weighted up, normalised.
    const auto    V = impl->ritz_vectors(data.A, impl->settings.lanczos_steps);
    const int64_t k = V.size(1);
    auto          weights = torch::ones({k, 1}, f64);
    weights.index_put_({torch::indexing::Slice(0, k / 2)},
                       impl->settings.low_spectrum_weight);
    // For the solver loss the combination is the exact solution x* and the
    // right-hand side is A x* (both scaled to |b| = 1): the initial error
    // is known, and it leans to the smooth modes the smoothers leave.
    const bool solver = impl->settings.loss == "solver";
    for (unsigned int s = 0; s < impl->settings.samples_per_matrix; ++s)
      {
        const auto    c = torch::randn({k, 1}, impl->generator, f64) * weights;
        torch::Tensor x;
        auto          b = torch::matmul(V, c);
        if (solver)
          {
            x = b;
            b = torch::matmul(data.A, x);
            x = x / b.norm();
          }
        b = b / b.norm();
        impl->samples.push_back({unsigned(impl->matrices.size()), b, x});
      }
    impl->matrices.push_back(std::move(data));
  }


  unsigned int
  DirectionTrainer::n_matrices() const
  {
    return impl->matrices.size();
  }


  void
  DirectionTrainer::remove_oldest_matrix()
  {
    AssertThrow(!impl->matrices.empty(),
                ExcMessage("DirectionTrainer: no matrix to remove."));
    impl->matrices.erase(impl->matrices.begin());
    std::vector<Sample> kept;
    for (auto &sample : impl->samples)
      if (sample.matrix > 0)
        kept.push_back({sample.matrix - 1, sample.b, sample.x});
    impl->samples = std::move(kept);
  }


  double
  DirectionTrainer::train_step()
  {
    AssertThrow(!impl->matrices.empty(),
                ExcMessage("DirectionTrainer: no training data; add a "
                           "matrix first."));
    const unsigned int          m = impl->steps++ % impl->matrices.size();
    std::vector<const Sample *> columns;
    for (const auto &sample : impl->samples)
      if (sample.matrix == m)
        columns.push_back(&sample);
    const auto order =
      torch::randperm(int64_t(columns.size()),
                      impl->generator,
                      torch::TensorOptions().dtype(torch::kInt64));
    const auto       *index = order.data_ptr<int64_t>();
    const std::size_t n =
      std::min<std::size_t>(impl->settings.batch_size, columns.size());
    std::vector<const Sample *> batch;
    for (std::size_t i = 0; i < n; ++i)
      batch.push_back(columns[index[i]]);
    impl->refresh_hierarchy(m);
    impl->optimizer->zero_grad();
    const auto   L     = impl->batch_loss(m, batch);
    const double value = L.item<double>();
    // Checked before the step: a non-finite loss must not reach the
    // weights.
    AssertThrow(std::isfinite(value),
                ExcMessage("Training produced a non-finite loss; lower the "
                           "learning rate."));
    L.backward();
    impl->optimizer->step();
    ++impl->weights_version;
    return value;
  }


  void
  DirectionTrainer::set_weights(const DirectionNetworkModel &model)
  {
    impl->pre.assign(model.pre);
    impl->post.assign(model.post);
    impl->coarse.assign(model.coarse);
    if (impl->edges)
      {
        impl->edges->assign(model.hierarchy.prolongation_smoothing);
        ++impl->weights_version;
      }
    torch::NoGradGuard no_grad;
    impl->coarse_correction_scale.fill_(model.coarse_correction_scale);
  }


  double
  DirectionTrainer::evaluate(const DirectionNetworkModel &weights)
  {
    const DirectionNetworkModel current = model();
    set_weights(weights);
    double loss = 0.;
    try
      {
        loss = evaluate();
      }
    catch (...)
      {
        set_weights(current);
        throw;
      }
    set_weights(current);
    return loss;
  }


  double
  DirectionTrainer::train_epoch()
  {
    AssertThrow(!impl->samples.empty(),
                ExcMessage("DirectionTrainer: no training data; add a "
                           "matrix first."));
    ++impl->epochs;
    // The shuffle of epoch k comes from its own generator, seeded by the
    // seed and k, so it does not depend on what ran before (resume).
    auto shuffle = at::detail::createCPUGenerator(
      std::uint64_t(impl->settings.seed) * 1000003u + impl->epochs);
    const auto order =
      torch::randperm(int64_t(impl->samples.size()),
                      shuffle,
                      torch::TensorOptions().dtype(torch::kInt64));
    const auto *index = order.data_ptr<int64_t>();

    // Batches hold samples of one matrix each.
    double       total = 0.;
    unsigned int count = 0;
    for (unsigned int m = 0; m < impl->matrices.size(); ++m)
      {
        // The learned prolongation: aggregates, patterns and scalings of
        // the current weights.
        impl->refresh_hierarchy(m);
        std::vector<const Sample *> batch;
        const auto                  step = [&]() {
          impl->optimizer->zero_grad();
          const auto   L     = impl->batch_loss(m, batch);
          const double value = L.item<double>();
          AssertThrow(std::isfinite(value),
                      ExcMessage("Training produced a non-finite loss; lower "
                                                  "the learning rate."));
          L.backward();
          impl->optimizer->step();
          ++impl->weights_version;
          total += value * batch.size();
          count += batch.size();
          batch.clear();
        };
        for (std::size_t i = 0; i < impl->samples.size(); ++i)
          {
            const auto &s = impl->samples[index[i]];
            if (s.matrix != m)
              continue;
            batch.push_back(&s);
            if (batch.size() == impl->settings.batch_size)
              step();
          }
        if (!batch.empty())
          step();
      }
    return total / count;
  }


  unsigned int
  DirectionTrainer::epochs_completed() const
  {
    return impl->epochs;
  }


  void
  DirectionTrainer::save_optimizer_state(const std::string &filename) const
  {
    torch::serialize::OutputArchive archive;
    impl->optimizer->save(archive);
    archive.write("epochs_completed",
                  torch::tensor({int64_t(impl->epochs)}, torch::kInt64));
    save_archive_atomically(archive, filename);
  }


  void
  DirectionTrainer::load_optimizer_state(const std::string &filename,
                                         const unsigned int epochs_completed)
  {
    torch::serialize::InputArchive archive;
    torch::Tensor                  epochs;
    try
      {
        archive.load_from(filename);
        impl->optimizer->load(archive);
        archive.read("epochs_completed", epochs);
      }
    catch (const c10::Error &e)
      {
        AssertThrow(false,
                    ExcMessage("Cannot read the optimizer state '" + filename +
                               "' of the checkpoint (" +
                               e.what_without_backtrace() +
                               "). Delete the checkpoint files or set "
                               "Resume = false."));
      }
    AssertThrow(epochs.numel() == 1 &&
                  epochs.item<int64_t>() == int64_t(epochs_completed),
                ExcMessage("The optimizer state '" + filename +
                           "' belongs to another epoch than its checkpoint "
                           "(an interrupted write?). Delete the checkpoint "
                           "files or set Resume = false."));
    impl->epochs = epochs_completed;
  }


  double
  DirectionTrainer::evaluate() const
  {
    impl->refresh_hierarchies();
    torch::NoGradGuard no_grad;
    double             total = 0.;
    for (unsigned int m = 0; m < impl->matrices.size(); ++m)
      {
        std::vector<const Sample *> columns;
        for (const auto &s : impl->samples)
          if (s.matrix == m)
            columns.push_back(&s);
        total += impl->batch_loss(m, columns).item<double>() * columns.size();
      }
    return total / impl->samples.size();
  }


  DirectionNetworkModel
  DirectionTrainer::model() const
  {
    DirectionNetworkModel m = impl->start;
    impl->pre.store(m.pre);
    impl->post.store(m.post);
    impl->coarse.store(m.coarse);
    m.coarse_correction_scale = impl->coarse_correction_scale.item<double>();
    if (impl->edges)
      impl->edges->store(m.hierarchy.prolongation_smoothing);
    m.metadata["trained"] = "yes";
    return m;
  }


  std::vector<double>
  DirectionTrainer::apply(const unsigned int         matrix,
                          const std::vector<double> &r) const
  {
    AssertIndexRange(matrix, impl->matrices.size());
    impl->refresh_hierarchies();
    torch::NoGradGuard no_grad;
    const auto        &data = impl->matrices[matrix];
    return values_of(impl->forward(data, impl->levels_of(data), to_column(r)));
  }


  double
  DirectionTrainer::loss(const unsigned int         matrix,
                         const std::vector<double> &b,
                         const std::vector<double> &x) const
  {
    AssertThrow(matrix < impl->matrices.size(),
                ExcMessage("DirectionTrainer::loss: no training matrix " +
                           std::to_string(matrix) + " (there are " +
                           std::to_string(impl->matrices.size()) + ")."));
    const int64_t n = impl->matrices[matrix].A.size(0);
    AssertThrow(int64_t(b.size()) == n &&
                  (impl->settings.loss != "solver" || int64_t(x.size()) == n),
                ExcMessage("DirectionTrainer::loss: b (and x for the solver "
                           "loss) must have the training matrix's size."));
    impl->refresh_hierarchies();
    torch::NoGradGuard no_grad;
    return impl
      ->loss(impl->matrices[matrix],
             to_column(b),
             x.empty() ? torch::Tensor() : to_column(x))
      .item<double>();
  }
} // namespace dealii_learned
