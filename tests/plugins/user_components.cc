// A user's own components in a shared library of their own: a MINRES solver
// hook and a postprocessor. Nothing in dealii-learned knows about them;
// loading the library through `set Additional shared libraries` makes them
// selectable by name.

#include <deal.II/base/parameter_handler.h>
#include <deal.II/base/timer.h>

#include <deal.II/dofs/dof_handler.h>

#include <deal.II/lac/precondition.h>
#include <deal.II/lac/solver_control.h>
#include <deal.II/lac/solver_minres.h>
#include <deal.II/lac/sparse_matrix.h>
#include <deal.II/lac/trilinos_sparse_matrix.h>
#include <deal.II/lac/trilinos_vector.h>
#include <deal.II/lac/vector.h>

#include <dealii-learned/postprocessors/postprocessor_hook.h>
#include <dealii-learned/solvers/solver_hook.h>

namespace user
{
  using namespace dealii;

  class MinRes : public dealii_learned::SolverHook
  {
  public:
    static void
    declare_parameters(ParameterHandler &)
    {}

    template <typename Matrix, typename VectorType>
    dealii_learned::SolverReport
    run(const Matrix &A, VectorType &x, const VectorType &b)
    {
      report          = dealii_learned::SolverReport();
      report.method   = settings.method;
      report.rhs_norm = b.l2_norm();
      SolverControl control(settings.max_iterations,
                            settings.relative_tolerance * report.rhs_norm);
      SolverMinRes<VectorType> minres(control);
      Timer                    timer;
      minres.solve(A, x, b, PreconditionIdentity());
      report.solve_seconds = timer.wall_time();
      report.iterations    = control.last_step();
      report.converged     = true;
      VectorType r;
      r.reinit(b);
      A.vmult(r, x);
      r.sadd(-1., 1., b);
      report.relative_residual = r.l2_norm() / report.rhs_norm;
      return report;
    }

    dealii_learned::SolverReport
    solve(const SparseMatrix<double> &A,
          Vector<double> &            x,
          const Vector<double> &      b) override
    {
      return run(A, x, b);
    }

    dealii_learned::SolverReport
    solve(const TrilinosWrappers::SparseMatrix &A,
          TrilinosWrappers::MPI::Vector &       x,
          const TrilinosWrappers::MPI::Vector & b) override
    {
      return run(A, x, b);
    }
  };


  /** Reports the number of DoFs and the mean nodal value. */
  template <int dim>
  class NodalMean : public dealii_learned::PostprocessorHook<dim>
  {
  public:
    static void
    declare_parameters(ParameterHandler &prm)
    {
      prm.declare_entry("Scale", "1", Patterns::Double(), "Multiplies the mean.");
    }

    void
    parse_parameters(ParameterHandler &prm) override
    {
      scale = prm.get_double("Scale");
    }

    dealii_learned::Statistics
    execute(const dealii_learned::FieldContext<dim> &context,
            TrilinosWrappers::MPI::Vector &          field) override
    {
      return {{"nodal_mean",
               scale * field.mean_value()},
              {"n_dofs_seen", double(context.dof_handler.n_dofs())}};
    }

    double scale = 1.;
  };
} // namespace user

DEALII_LEARNED_REGISTER_SOLVER(user::MinRes,
                               "user-minres",
                               "MINRES without preconditioner, from a user "
                               "plugin library.")
DEALII_LEARNED_REGISTER_POSTPROCESSOR(user::NodalMean,
                                      "user-mean",
                                      "Mean nodal value, from a user plugin "
                                      "library.")
