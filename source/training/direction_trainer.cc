// LibTorch first: deal.II's Assert macro clashes with LibTorch's struct
// Assert if deal.II comes first.
#include <torch/torch.h>

#include <deal.II/base/exceptions.h>

#include <deal.II/lac/trilinos_sparse_matrix.h>

#include <dealii-learned/base/trilinos_rows.h>
#include <dealii-learned/training/direction_trainer.h>

#include <cmath>
#include <cstdio>

#include "torch_archives.h"

namespace dealii_learned
{
  using namespace dealii;

  namespace
  {
    const auto f64 = torch::TensorOptions().dtype(torch::kFloat64);

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
      const auto i64 = torch::TensorOptions().dtype(torch::kInt64);
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
      const auto i64 = torch::TensorOptions().dtype(torch::kInt64);
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


    /** @p v as an n x 1 column (a copy). */
    torch::Tensor
    to_column(const std::vector<double> &v)
    {
      return torch::tensor(v, f64).reshape({int64_t(v.size()), 1});
    }


    /** One level of the network's hierarchy as tensors. */
    struct Level
    {
      torch::Tensor M;  // unit-diagonal level matrix
      torch::Tensor P;  // prolongation to this level from the next
      torch::Tensor PT; // its transpose
      torch::Tensor S;  // scaling of the next level, n_{l+1} x 1
    };


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
        const auto copy = [](const torch::Tensor &t) {
          const auto c = t.detach().contiguous();
          return std::vector<double>(c.data_ptr<double>(),
                                     c.data_ptr<double>() + c.numel());
        };
        s.W    = copy(W);
        s.bias = copy(bias);
        s.w    = copy(w);
        s.a    = a.item<double>();
        s.b    = b.item<double>();
      }
    };
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

    struct MatrixData
    {
      torch::Tensor      A;  // original matrix
      torch::Tensor      s0; // D^{-1/2}, n x 1
      std::vector<Level> levels;
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
      optimizer = std::make_unique<torch::optim::Adam>(
        parameters, torch::optim::AdamOptions(settings.learning_rate));
    }


    /** The same layer as DirectionNetwork::smooth(), on a batch. */
    torch::Tensor
    smooth(const LayerParameters &p,
           const torch::Tensor   &M,
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
          const auto residual = v - torch::matmul(M, y);
          const auto message  = torch::matmul(M, residual);
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
    cycle(const MatrixData    &data,
          const unsigned int   l,
          const torch::Tensor &v) const
    {
      const auto &M =
        l < data.levels.size() ? data.levels[l].M : torch::Tensor();
      auto y = torch::zeros_like(v);
      if (l + 1 == data.levels.size())
        return smooth(coarse, data.levels[l].M, v, y, start.coarse_layers);
      y                    = smooth(pre, M, v, y, start.pre_layers);
      const auto &L        = data.levels[l];
      const auto  residual = v - torch::matmul(M, y);
      const auto  vc       = L.S * torch::matmul(L.PT, residual);
      auto        yc       = cycle(data, l + 1, vc);
      if (start.krylov_cycle && l + 2 < data.levels.size())
        yc = krylov_correction(data, l + 1, vc, yc);
      // W-cycle and beyond: more coarse cycles on the residual left.
      else if (l + 2 < data.levels.size())
        for (unsigned int k = 1; k < start.cycle_index; ++k)
          yc = yc +
               cycle(data, l + 1, vc - torch::matmul(data.levels[l + 1].M, yc));
      y = y + coarse_correction_scale * torch::matmul(L.P, L.S * yc);
      return smooth(post, M, v, y, start.post_layers);
    }


    /** The same as DirectionNetwork::krylov_correction(), column by
     *  column: two flexible CG steps on M z = v with c = B v given. */
    torch::Tensor
    krylov_correction(const MatrixData    &data,
                      const unsigned int   l,
                      const torch::Tensor &v,
                      const torch::Tensor &c) const
    {
      const auto &M      = data.levels[l].M;
      const auto  t      = torch::matmul(M, c);
      const auto  rho    = (c * t).sum(0, true);
      const auto  alpha1 = (c * v).sum(0, true);
      const auto  usable = (rho > 0).logical_and(torch::isfinite(rho));
      const auto  rho_s  = torch::where(usable, rho, torch::ones_like(rho));
      const auto  v2     = v - alpha1 / rho_s * t;
      const auto  d      = cycle(data, l, v2);
      const auto  u      = torch::matmul(M, d);
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
    forward(const MatrixData &data, const torch::Tensor &r) const
    {
      return data.s0 * cycle(data, 0, data.s0 * r);
    }


    /** The loss of the settings on a batch: right-hand sides @p B and,
     *  for the solver loss, their exact solutions @p X. */
    torch::Tensor
    loss(const MatrixData    &data,
         const torch::Tensor &B,
         const torch::Tensor &X) const
    {
      return settings.loss == "solver" ? solver_loss(data, B, X) :
                                         spectral_loss(data, B);
    }


    /** Mean over the batch of | b - (q.b / q.Aq) A q |^2. */
    torch::Tensor
    spectral_loss(const MatrixData &data, const torch::Tensor &B) const
    {
      const auto Q     = forward(data, B);
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
    solver_loss(const MatrixData    &data,
                const torch::Tensor &B,
                const torch::Tensor &X) const
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
          const auto safe = torch::where(norm > 0, norm, torch::ones_like(norm));
          auto       q    = forward(data, r / safe);
          auto       Aq   = torch::matmul(data.A, q);
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
    torch::NoGradGuard   no_grad;
    AggregationHierarchy hierarchy;
    hierarchy.initialize(A, impl->start.hierarchy, structure);

    Implementation::MatrixData data;
    data.A  = to_csr(A);
    data.s0 = to_tensor(hierarchy.inverse_sqrt_diagonal(0));
    for (unsigned int l = 0; l < hierarchy.n_levels(); ++l)
      {
        Level level;
        level.M = to_csr(hierarchy.matrix(l));
        if (l + 1 < hierarchy.n_levels())
          {
            const auto &P = hierarchy.prolongation(l);
            level.P       = to_csr(P);
            level.PT      = to_csr_transpose(P);
            level.S       = to_tensor(hierarchy.inverse_sqrt_diagonal(l + 1));
          }
        data.levels.push_back(level);
      }

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
    const unsigned int m = impl->steps++ % impl->matrices.size();
    std::vector<const Sample *> columns;
    for (const auto &sample : impl->samples)
      if (sample.matrix == m)
        columns.push_back(&sample);
    const auto order = torch::randperm(int64_t(columns.size()),
                                       impl->generator,
                                       torch::TensorOptions().dtype(
                                         torch::kInt64));
    const auto        *index = order.data_ptr<int64_t>();
    const std::size_t  n =
      std::min<std::size_t>(impl->settings.batch_size, columns.size());
    std::vector<const Sample *> batch;
    for (std::size_t i = 0; i < n; ++i)
      batch.push_back(columns[index[i]]);
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
    return value;
  }


  void
  DirectionTrainer::set_weights(const DirectionNetworkModel &model)
  {
    impl->pre.assign(model.pre);
    impl->post.assign(model.post);
    impl->coarse.assign(model.coarse);
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
    m.metadata["trained"]     = "yes";
    return m;
  }


  std::vector<double>
  DirectionTrainer::apply(const unsigned int         matrix,
                          const std::vector<double> &r) const
  {
    AssertIndexRange(matrix, impl->matrices.size());
    torch::NoGradGuard no_grad;
    const auto q =
      impl->forward(impl->matrices[matrix], to_column(r)).contiguous();
    return std::vector<double>(q.data_ptr<double>(),
                               q.data_ptr<double>() + q.numel());
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
    torch::NoGradGuard no_grad;
    return impl
      ->loss(impl->matrices[matrix],
             to_column(b),
             x.empty() ? torch::Tensor() : to_column(x))
      .item<double>();
  }
} // namespace dealii_learned
