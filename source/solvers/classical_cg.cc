#include <deal.II/base/parameter_handler.h>
#include <deal.II/base/timer.h>

#include <deal.II/lac/precondition.h>
#include <deal.II/lac/solver_cg.h>
#include <deal.II/lac/solver_control.h>
#include <deal.II/lac/sparse_matrix.h>
#include <deal.II/lac/trilinos_precondition.h>
#include <deal.II/lac/trilinos_sparse_matrix.h>
#include <deal.II/lac/trilinos_vector.h>
#include <deal.II/lac/vector.h>

#include <dealii-learned/base/collective.h>
#include <dealii-learned/base/trilinos_rows.h>
#include <dealii-learned/solvers/classical_cg.h>
#include <dealii-learned/solvers/solve_and_report.h>

#include <Epetra_MultiVector.h>
#include <Teuchos_ParameterList.hpp>
#include <ml_MultiLevelPreconditioner.h>
#include <ml_include.h>

#include <array>
#include <cstdint>
#include <type_traits>

namespace dealii_learned
{
  using namespace dealii;

  namespace
  {
    TrilinosWrappers::PreconditionAMG::AdditionalData
    amg_data(const ClassicalCG::AdditionalData &data)
    {
      TrilinosWrappers::PreconditionAMG::AdditionalData amg;
      amg.elliptic              = data.amg_elliptic;
      amg.higher_order_elements = data.amg_higher_order;
      amg.smoother_sweeps       = data.amg_smoother_sweeps;
      amg.aggregation_threshold = data.amg_aggregation_threshold;
      return amg;
    }


    /**
     * Tells ML the system's structure, as deal.II's elasticity programs do:
     * the unknowns per node ("PDE equations", aggregates then hold whole
     * nodes) and the near-null space its tentative prolongation is built
     * from (the constant mode of each component unless the host gave
     * vectors, e.g. the rigid-body modes). @p modes keeps the vectors,
     * which ML reads through a pointer: it must outlive the preconditioner.
     * Call after AdditionalData::set_parameters(), which it overrides.
     */
    void
    set_ml_structure(Teuchos::ParameterList              &parameters,
                  std::unique_ptr<Epetra_MultiVector> &modes,
                  const TrilinosWrappers::SparseMatrix &A,
                  const SystemStructure                &structure)
    {
      const auto range   = A.local_range();
      const auto vectors = near_null_space_vectors(structure,
                                                   range.first,
                                                   range.second - range.first);
      const Epetra_Map &map = A.trilinos_matrix().DomainMap();
      modes = std::make_unique<Epetra_MultiVector>(map, vectors.size());
      for (unsigned int k = 0; k < vectors.size(); ++k)
        for (int r = 0; r < map.NumMyElements(); ++r)
          (*modes)[k][r] = vectors[k][r];
      parameters.set("PDE equations",
                     static_cast<int>(structure.n_components));
      parameters.set("null space: type", "pre-computed");
      parameters.set("null space: dimension", modes->NumVectors());
      parameters.set("null space: vectors", modes->Values());
    }


    /** ML built with the system's structure; owns what ML points into. */
    struct StructuredAMG
    {
      TrilinosWrappers::SparseMatrix      copy;
      Teuchos::ParameterList              parameters;
      std::unique_ptr<Epetra_MultiVector> modes;
      TrilinosWrappers::PreconditionAMG   amg;

      void
      initialize(const TrilinosWrappers::SparseMatrix &A,
                 const ClassicalCG::AdditionalData    &data,
                 const SystemStructure                &structure)
      {
        amg_data(data).set_parameters(parameters, modes, A);
        set_ml_structure(parameters, modes, A, structure);
        amg.initialize(A, parameters);
      }

      void
      initialize(const SparseMatrix<double>        &A,
                 const ClassicalCG::AdditionalData &data,
                 const SystemStructure             &structure)
      {
        copy.reinit(A, 0.); // keep every entry (default drops < 1e-13)
        initialize(copy, data, structure);
      }
    };
  } // namespace


  namespace
  {
    /**
     * PreconditionAMG with a reinit() that also forgets what ML cached
     * about the finest-level matrix. ML's ReComputePreconditioner()
     * rebuilds the coarse levels and the smoothers, but the finest level's
     * operator is the user's matrix wrapped once, and its cached diagonal
     * and spectral-radius estimate stay those of the old values: a
     * Chebyshev smoother built on them diverges once the values change by
     * more than a little (measured: CG at the iteration limit on every
     * system of a contrast sweep after the first).
     */
    class ReusablePreconditionAMG : public TrilinosWrappers::PreconditionAMG
    {
    public:
      void
      recompute()
      {
        auto *ml_preconditioner =
          dynamic_cast<ML_Epetra::MultiLevelPreconditioner *>(
            preconditioner.get());
        AssertThrow(ml_preconditioner != nullptr, ExcInternalError());
        ML *ml = const_cast<ML *>(ml_preconditioner->GetML());
        AssertThrow(ml != nullptr, ExcInternalError());
        ML_Operator *fine = &ml->Amat[ml->ML_finest_level];
        if (fine->diagonal != nullptr)
          ML_DVector_Destroy(&fine->diagonal);
        fine->diagonal   = nullptr;
        fine->lambda_max = -666.666;
        fine->lambda_min = -666.666;
        reinit();
      }
    };
  } // namespace


  struct ClassicalCG::AmgCache
  {
    ReusablePreconditionAMG amg;
    /** ML's parameters and the near null space they point to, kept alive
     *  with the hierarchy: reinit() (ML's ReComputePreconditioner()) reads
     *  them again, and PreconditionAMG::initialize(matrix, data) frees the
     *  null-space vectors when it returns, after which a reinit() reads
     *  freed memory and the recomputed hierarchy diverges. */
    Teuchos::ParameterList              parameters;
    std::unique_ptr<Epetra_MultiVector> constant_modes;
    /** The Epetra matrix ML was built on, and its pattern. */
    const Epetra_CrsMatrix      *matrix = nullptr;
    std::array<std::uint64_t, 3> signature{};
    /** The structure the hierarchy was built with. */
    unsigned int                     n_components = 1;
    std::vector<std::vector<double>> near_null_space;

    /** ML set up for @p A: reinit() on the kept hierarchy when reuse is
     *  on and @p A is the same matrix with the same pattern; collective. */
    const TrilinosWrappers::PreconditionAMG &
    prepare(const TrilinosWrappers::SparseMatrix &A,
            const ClassicalCG::AdditionalData    &data,
            const SystemStructure                &structure,
            SolverReport                         &report)
    {
      bool reuse = false;
      if (data.amg_reuse)
        {
          const auto new_signature = sparsity_signature(A);
          reuse = Utilities::MPI::min(
                    static_cast<int>(
                      matrix == &A.trilinos_matrix() &&
                      new_signature == signature &&
                      structure.n_components == n_components &&
                      structure.near_null_space == near_null_space),
                    A.get_mpi_communicator()) == 1;
          signature    = new_signature;
          n_components = structure.n_components;
          near_null_space = structure.near_null_space;
        }
      if (reuse)
        amg.recompute();
      else
        {
          matrix = nullptr;
          if (data.amg_reuse)
            {
              parameters = Teuchos::ParameterList();
              constant_modes.reset();
              amg_data(data).set_parameters(parameters, constant_modes, A);
              if (!structure.is_scalar())
                set_ml_structure(parameters, constant_modes, A, structure);
              amg.initialize(A, parameters);
            }
          else
            amg.initialize(A, amg_data(data));
          matrix = &A.trilinos_matrix();
        }
      report.details.emplace_back("amg_reused", reuse ? 1. : 0.);
      return amg;
    }
  };


  namespace
  {
    /**
     * Builds the preconditioner named in @p settings (setup) and hands CG
     * with it to @p run, the convergence frame of solve_and_report(). Serial
     * deal.II matrices use deal.II's own Jacobi and SSOR; Trilinos matrices
     * use Ifpack's. IC always needs a Trilinos matrix, so the serial path
     * copies A once. IC and AMG use Trilinos, which needs MPI even in a
     * serial program.
     */
    template <typename MatrixType, typename VectorType, typename Run>
    void
    precondition_and_run(const MatrixType                       &A,
                         VectorType                             &x,
                         const VectorType                       &b,
                         const ClassicalCG::AdditionalData      &data,
                         const SolverSettings                   &settings,
                         const SystemStructure                  &structure,
                         std::shared_ptr<ClassicalCG::AmgCache> &amg_cache,
                         SolverReport                           &report,
                         const Run                              &run_frame)
    {
      constexpr bool serial =
        std::is_same<MatrixType, SparseMatrix<double>>::value;
      const std::string &name = settings.preconditioner;
      if (serial && (name == "ic" || name == "amg"))
        ensure_mpi_initialized();

      const auto run = [&](const auto &preconditioner) {
        run_frame([&](SolverControl &control) {
          SolverCG<VectorType> cg(control);
          cg.solve(A, x, b, preconditioner);
        });
      };

      if (name == "none")
        run(PreconditionIdentity());
      else if (name == "jacobi")
        {
          if constexpr (serial)
            {
              PreconditionJacobi<SparseMatrix<double>> p;
              p.initialize(A, data.jacobi_relaxation);
              run(p);
            }
          else
            {
              TrilinosWrappers::PreconditionJacobi p;
              p.initialize(A, {data.jacobi_relaxation});
              run(p);
            }
        }
      else if (name == "ssor")
        {
          if constexpr (serial)
            {
              PreconditionSSOR<SparseMatrix<double>> p;
              p.initialize(A, data.ssor_relaxation);
              run(p);
            }
          else
            {
              TrilinosWrappers::PreconditionSSOR p;
              p.initialize(A, {data.ssor_relaxation});
              run(p);
            }
        }
      else if (name == "ic")
        {
          TrilinosWrappers::PreconditionIC::AdditionalData ic_data;
          ic_data.ic_fill = data.ic_fill;
          TrilinosWrappers::PreconditionIC p;
          if constexpr (serial)
            {
              TrilinosWrappers::SparseMatrix copy;
              copy.reinit(A, 0.); // keep every entry (default drops < 1e-13)
              p.initialize(copy, ic_data);
              run(p);
            }
          else
            {
              p.initialize(A, ic_data);
              run(p);
            }
        }
      else if (name == "amg" && !structure.is_scalar() &&
               (serial || !data.amg_reuse))
        {
          // A serial matrix's ML is built for each solve (AMG reuse keeps
          // distributed hierarchies only).
          StructuredAMG p;
          p.initialize(A, data, structure);
          report.details.emplace_back("amg_components",
                                      structure.n_components);
          report.details.emplace_back(
            "amg_near_null_space",
            structure.near_null_space.empty() ?
              structure.n_components :
              structure.near_null_space.size());
          run(p.amg);
        }
      else if (name == "amg")
        {
          if constexpr (serial)
            {
              TrilinosWrappers::PreconditionAMG p;
              p.initialize(A, amg_data(data));
              run(p);
            }
          else if (data.amg_reuse)
            {
              // Made on first use: ML's objects need MPI, which a serial
              // host may never start.
              if (!amg_cache)
                amg_cache = std::make_shared<ClassicalCG::AmgCache>();
              run(amg_cache->prepare(A, data, structure, report));
            }
          else
            {
              TrilinosWrappers::PreconditionAMG p;
              p.initialize(A, amg_data(data));
              report.details.emplace_back("amg_reused", 0.);
              run(p);
            }
        }
      else
        AssertThrow(false,
                    ExcMessage("Linear solver 'cg': unknown preconditioner '" +
                               name +
                               "'; choose one of none|jacobi|ssor|ic|amg."));
    }
  } // namespace


  ClassicalCG::ClassicalCG()
    : ClassicalCG(AdditionalData())
  {}


  ClassicalCG::ClassicalCG(const AdditionalData &data)
    : data(data)

  {}


  void
  ClassicalCG::declare_parameters(ParameterHandler &prm)
  {
    prm.declare_entry("Jacobi relaxation",
                      "1.0",
                      Patterns::Double(0.),
                      "Damping factor of the Jacobi preconditioner.");
    prm.declare_entry("SSOR relaxation",
                      "1.2",
                      Patterns::Double(0., 2.),
                      "Relaxation factor omega of the SSOR preconditioner, "
                      "in (0, 2).");
    prm.declare_entry("IC fill",
                      "0",
                      Patterns::Integer(0),
                      "Fill-in level of the incomplete Cholesky "
                      "factorisation (0 keeps the sparsity of A).");
    prm.declare_entry("AMG elliptic",
                      "true",
                      Patterns::Bool(),
                      "Use the settings of Trilinos ML for elliptic "
                      "problems (Chebyshev smoother, smoothed aggregation).");
    prm.declare_entry("AMG higher order elements",
                      "false",
                      Patterns::Bool(),
                      "Tell ML the matrix comes from elements of degree "
                      "greater than one.");
    prm.declare_entry("AMG smoother sweeps",
                      "2",
                      Patterns::Integer(1),
                      "Smoothing steps per level of the AMG V-cycle.");
    prm.declare_entry("AMG reuse",
                      "false",
                      Patterns::Bool(),
                      "Keep ML's hierarchy between solves of the same "
                      "Trilinos matrix with the same sparsity pattern and "
                      "recompute its values with PreconditionAMG::reinit() "
                      "(ML keeps its aggregates) instead of building it "
                      "anew: for time steps and nonlinear iterations that "
                      "reassemble the same matrix object. ML keeps pointers "
                      "into that matrix: it must stay alive (not be "
                      "reinitialised) while the hook may reuse it; a new "
                      "matrix object or pattern builds ML anew.");
    prm.declare_entry("AMG aggregation threshold",
                      "1e-4",
                      Patterns::Double(0.),
                      "Strength-of-connection threshold for ML's "
                      "aggregation.");
  }


  void
  ClassicalCG::parse_parameters(ParameterHandler &prm)
  {
    data.jacobi_relaxation   = prm.get_double("Jacobi relaxation");
    data.ssor_relaxation     = prm.get_double("SSOR relaxation");
    data.ic_fill             = prm.get_integer("IC fill");
    data.amg_elliptic        = prm.get_bool("AMG elliptic");
    data.amg_higher_order    = prm.get_bool("AMG higher order elements");
    data.amg_smoother_sweeps = prm.get_integer("AMG smoother sweeps");
    data.amg_aggregation_threshold =
      prm.get_double("AMG aggregation threshold");
    data.amg_reuse = prm.get_bool("AMG reuse");
    // A kept hierarchy belongs to the settings it was built with.
    amg_cache.reset();
  }


  SolverReport
  ClassicalCG::solve(const SparseMatrix<double> &A,
                     Vector<double>             &x,
                     const Vector<double>       &b)
  {
    solve_and_report(
      settings,
      A,
      x,
      b,
      [&](const auto &run, SolverReport &r) {
        r.preconditioner = settings.preconditioner;
        precondition_and_run(
          A, x, b, data, settings, get_structure(), amg_cache, r, run);
      },
      report);
    return report;
  }


  SolverReport
  ClassicalCG::solve(const TrilinosWrappers::SparseMatrix &A,
                     TrilinosWrappers::MPI::Vector        &x,
                     const TrilinosWrappers::MPI::Vector  &b)
  {
    solve_and_report(
      settings,
      A,
      x,
      b,
      [&](const auto &run, SolverReport &r) {
        r.preconditioner = settings.preconditioner;
        precondition_and_run(
          A, x, b, data, settings, get_structure(), amg_cache, r, run);
      },
      report);
    return report;
  }
} // namespace dealii_learned

DEALII_LEARNED_REGISTER_SOLVER(
  dealii_learned::ClassicalCG,
  "cg",
  "Conjugate gradients (deal.II SolverCG) with the classical preconditioner "
  "chosen by 'Preconditioner': none, jacobi, ssor, ic (Trilinos Ifpack "
  "incomplete Cholesky) or amg (Trilinos ML smoothed aggregation). The "
  "baseline for every learned solver.")
