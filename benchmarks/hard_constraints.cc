/*
 * hard_constraints: what the hard-constraint layer costs, against the
 * number of DoFs and the number of experts K, side by side in one run.
 *
 * On [-1, 1]^2 (uniform Q1 meshes of three sizes), for the linear
 * diffusion-reaction residual (random coefficient) and the nonlinear
 * diffusion residual, with N = 16 fixed basis fields (products of cosines;
 * a network's output would take their place) and every residual row
 * constrained, it runs the layer for K = 1, 2, 4, 8, 16 z-order experts
 * and reports per row: the forward time (the experts' Gauss-Newton /
 * Levenberg-Marquardt fits), the backward time (dL/dB by the implicit
 * function theorem for a fixed dL/du), their sum (what one training step
 * spends in the layer), the largest number of iterations, the largest
 * relative residual of an expert, the interface jump, and the speed-up of
 * the step against K = 1 on the same mesh. The experts stop at the
 * tolerance 1e-6 (the part of the residual a step can still remove,
 * relative to the residual) within 200 iterations; a row whose experts do
 * not is kept, with converged = false and the forward time spent. The
 * network's own cost is not included. It prints
 * the table and writes <dir>/rows.json (or --json FILE), row by row as they
 * finish.
 *
 *   benchmark_hard_constraints [--quick] [--json FILE] [--output DIR]
 *
 * --quick: small meshes (a smoke test, used in CTest). Build in Release;
 * the experts run as concurrent tasks on the threads deal.II allows.
 */

#include <deal.II/base/mpi.h>
#include <deal.II/base/parameter_handler.h>
#include <deal.II/base/quadrature_lib.h>
#include <deal.II/base/timer.h>

#include <deal.II/distributed/tria.h>

#include <deal.II/dofs/dof_tools.h>

#include <deal.II/fe/fe_q.h>
#include <deal.II/fe/mapping_q.h>

#include <deal.II/grid/grid_generator.h>

#include <deal.II/lac/affine_constraints.h>

#include <dealii-learned/base/result_table.h>
#include <dealii-learned/base/utilities.h>
#include <dealii-learned/constraints/hard_constraint_layer.h>

#include <cmath>
#include <iostream>
#include <map>
#include <sstream>

using namespace dealii;
using namespace dealii_learned;

namespace
{
  /** Runs the layer on one mesh for every K; adds a row per K. */
  void
  run(const std::string               &name,
      const std::vector<double>       &p,
      const unsigned int               refinement,
      const std::vector<unsigned int> &experts_counts,
      ResultTable                     &table,
      const std::string               &json)
  {
    const MPI_Comm                          comm = MPI_COMM_WORLD;
    parallel::distributed::Triangulation<2> tria(comm);
    GridGenerator::hyper_cube(tria, -1., 1.);
    tria.refine_global(refinement);
    const FE_Q<2>     fe(1);
    const MappingQ<2> mapping(1);
    const QGauss<2>   quadrature(2);
    DoFHandler<2>     dof_handler(tria);
    dof_handler.distribute_dofs(fe);
    const IndexSet owned = dof_handler.locally_owned_dofs();
    IndexSet       relevant;
    DoFTools::extract_locally_relevant_dofs(dof_handler, relevant);

    ParameterHandler prm;
    prm.enter_subsection("Hard constraints");
    ResidualOperators::declare_parameters(prm);
    prm.set("Residual", name);
    prm.leave_subsection();
    auto residual = ResidualOperators::create<2>(prm, "Hard constraints");
    residual->set_parameters(p);
    AffineConstraints<double> constraints;
    make_residual_constraints(
      *residual, dof_handler, mapping, relevant, constraints);
    const FiniteElementSpace<2> space{
      dof_handler, mapping, quadrature, constraints, owned, relevant, comm};

    // The basis and a fixed dL/du.
    const unsigned int                          N = 16;
    std::map<types::global_dof_index, Point<2>> points;
    DoFTools::map_dofs_to_support_points(mapping, dof_handler, points);
    std::vector<double> B(relevant.n_elements() * N);
    for (unsigned int r = 0; r < relevant.n_elements(); ++r)
      {
        const Point<2> x = points.at(relevant.nth_index_in_set(r));
        for (unsigned int b = 0; b < N; ++b)
          B[r * N + b] = std::cos(1.3 * (b % 4 + 1) * x[0] + 0.4 * b) *
                         std::cos(1.9 * (b / 4 + 1) * x[1] + 0.7 * b);
      }
    TrilinosWrappers::MPI::Vector dl_du(owned, comm);
    for (const auto i : owned)
      dl_du[i] = std::sin(0.37 * i);
    dl_du.compress(VectorOperation::insert);

    double reference_step = 0.;
    for (const unsigned int K : experts_counts)
      {
        const ExpertPartition<2> experts(
          dof_handler, constraints, owned, relevant, K, "z-order", comm);
        HardConstraintSettings settings;
        settings.tolerance      = 1e-6;
        settings.max_iterations = 200;
        HardConstraintLayer<2> layer(*residual, space, experts, settings);
        TrilinosWrappers::MPI::Vector u;
        Timer                         timer;
        try
          {
            layer.forward(B.data(), N, u);
          }
        catch (const std::exception &e)
          {
            // An expert that does not converge is a result here: the row
            // says so (and which), and the run goes on.
            table.new_row();
            table.set("residual", name);
            table.set("n_dofs", dof_handler.n_dofs());
            table.set("experts", K);
            table.set("forward_seconds", timer.wall_time());
            table.set("converged", false);
            std::cout << "  " << name << ", " << dof_handler.n_dofs()
                      << " DoFs, " << K << " experts: " << error_message(e)
                      << std::endl;
            std::ostringstream rows;
            table.write_json(rows, 2);
            write_file_atomically(json, rows.str() + "\n");
            continue;
          }
        const double        forward = timer.wall_time();
        std::vector<double> dl_dB(layer.n_rows() * N);
        timer.restart();
        layer.backward(dl_du, dl_dB.data());
        const double backward = timer.wall_time();
        const double step     = forward + backward;
        if (K == experts_counts.front())
          reference_step = step;
        unsigned int iterations = 0;
        for (const auto &r : layer.reports())
          iterations = std::max(iterations, r.iterations);

        table.new_row();
        table.set("residual", name);
        table.set("n_dofs", dof_handler.n_dofs());
        table.set("experts", K);
        table.set("forward_seconds", forward);
        table.set("backward_seconds", backward);
        table.set("step_seconds", step);
        table.set("speedup_over_one_expert", reference_step / step);
        table.set("converged", true);
        table.set("max_iterations", iterations);
        table.set("max_expert_residual", layer.max_expert_residual());
        table.set("interface_jump", layer.interface_jump());
        std::cout << "  " << name << ", " << dof_handler.n_dofs() << " DoFs, "
                  << K << " experts: step " << format_number(step, 3)
                  << " s (forward " << format_number(forward, 3)
                  << " s, backward " << format_number(backward, 3) << " s), "
                  << iterations << " iterations" << std::endl;
        std::ostringstream rows;
        table.write_json(rows, 2);
        write_file_atomically(json, rows.str() + "\n");
      }
  }
} // namespace


int
main(int argc, char **argv)
{
  Utilities::MPI::MPI_InitFinalize mpi(argc, argv);
  try
    {
      bool        quick = false;
      std::string json, dir = "hard-constraints-results";
      for (int i = 1; i < argc; ++i)
        {
          const std::string a = argv[i];
          if (a == "--quick")
            quick = true;
          else if (a == "--json" && i + 1 < argc)
            json = argv[++i];
          else if (a == "--output" && i + 1 < argc)
            dir = argv[++i];
          else
            {
              std::cerr << "Usage: " << argv[0]
                        << " [--quick] [--json FILE] [--output DIR]\n";
              return 2;
            }
        }
      ensure_writable_directory(dir, "--output");
      if (json.empty())
        json = dir + "/rows.json";

      const std::vector<unsigned int> refinements =
        quick ? std::vector<unsigned int>{4, 5} :
                std::vector<unsigned int>{6, 8, 9};
      const std::vector<unsigned int> experts =
        quick ? std::vector<unsigned int>{1, 4} :
                std::vector<unsigned int>{1, 2, 4, 8, 16};
      ResultTable table;
      Timer       timer;
      for (const auto &[name, p] :
           std::vector<std::pair<std::string, std::vector<double>>>{
             {"diffusion-reaction", {20., 1., 1., 3.}},
             {"nonlinear-diffusion", {2., 1.}}})
        for (const unsigned int refinement : refinements)
          {
            std::cout << "[" << format_number(timer.wall_time(), 3) << " s] "
                      << name << ", refinement " << refinement << std::endl;
            run(name, p, refinement, experts, table, json);
          }
      std::cout << "\nThe layer's cost per training step (N = 16 basis "
                   "fields, every residual row constrained):\n";
      table.write_text(std::cout);
      std::cout << "Rows written to " << json << std::endl;
    }
  catch (const std::exception &e)
    {
      std::cerr << "benchmark_hard_constraints: error: " << error_message(e)
                << std::endl;
      return 1;
    }
  return 0;
}
