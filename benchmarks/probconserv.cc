/*
 * probconserv: the comparison of the ProbConserv paper on finite element
 * fields, side by side in one run.
 *
 * For the generalized porous medium equation (gpme: heat, porous medium,
 * Stefan), in 1-D and 2-D, it trains a deep ensemble base model on the
 * finite element solutions of four parameter values (or reuses the model
 * file it wrote before), then runs the problem for a parameter the model
 * has not seen and, at each output time, compares with the exact solution:
 *   base       the ensemble's mean and variance;
 *   hardc      its mean projected onto the conservation constraint
 *              (identity covariance), the HardC baseline;
 *   probconserv the ProbConserv update (the constraint met exactly).
 * Reported per method: MSE (mean over DoFs), conservation error (relative,
 * absolute for a zero integral), log-likelihood of the exact values under
 * the pointwise Gaussians, and for Stefan the front position error. Then
 * the cost of the update against the base model's inference on a 2-D mesh
 * of about 100,000 DoFs with 16 constraint rows (one per block of a 4 x 4
 * partition). It prints the table and writes
 *   <dir>/rows.json (or --json FILE)     every row;
 *   <dir>/<case>.dle                      the trained base models;
 *   <dir>/profile-<case>.png              at the final time, along x:
 *                                         mean +- 2 sigma of base and
 *                                         ProbConserv against the exact one;
 *   <dir>/conservation_error.png          the conservation error over time;
 * (plots through gnuplot when it is installed).
 *
 *   benchmark_probconserv [--quick] [--json FILE] [--output DIR]
 *                         [--cases LIST] [--retrain]
 *
 * --quick: coarse meshes, short training, 10,000 DoFs for the timing (a
 * smoke test, used in CTest). Build in Release.
 */

#include <deal.II/base/mpi.h>
#include <deal.II/base/parameter_handler.h>
#include <deal.II/base/timer.h>
#include <deal.II/base/utilities.h>

#include <deal.II/distributed/tria.h>

#include <deal.II/dofs/dof_handler.h>
#include <deal.II/dofs/dof_tools.h>

#include <deal.II/fe/fe_q.h>
#include <deal.II/fe/mapping_q.h>

#include <deal.II/grid/grid_generator.h>

#include <deal.II/lac/affine_constraints.h>

#include <dealii-learned/base/result_table.h>
#include <dealii-learned/base/utilities.h>
#include <dealii-learned/conservation/field_metrics.h>
#include <dealii-learned/conservation/prob_conserv.h>
#include <dealii-learned/driver/driver.h>
#include <dealii-learned/models/ensemble_model.h>
#include <dealii-learned/problems/problem.h>
#include <dealii-learned/solvers/solver_hook.h>
#include <dealii-learned/training/trainer.h>

#include <algorithm>
#include <cmath>
#include <filesystem>
#include <fstream>
#include <iostream>
#include <map>
#include <optional>
#include <sstream>

#include "probconserv_report.h"

using namespace dealii;
using namespace dealii_learned;
using benchmark_probconserv::Profile;
using benchmark_probconserv::write_plots;

namespace
{
  struct Case
  {
    std::string         name, equation;
    unsigned int        dimension;
    std::string         entry, parameter; // prm entry, model input name
    std::vector<double> training_values;
    double              value;
    double              final_time, time_step;
    unsigned int        refinement, quick_refinement;
    unsigned int        samples_per_snapshot;
  };


  /** Sets Problem and Problem/gpme entries of a case in @p prm. */
  void
  set_problem(ParameterHandler &prm, const Case &c, const double value)
  {
    prm.enter_subsection("Problem");
    prm.set("Name", "gpme");
    prm.set("Dimension", std::to_string(c.dimension));
    prm.set("Initial global refinement", std::to_string(c.refinement));
    prm.enter_subsection("gpme");
    prm.set("Equation", c.equation);
    prm.set("Final time", c.final_time);
    prm.set("Time step", c.time_step);
    prm.set(c.entry, value);
    prm.leave_subsection();
    prm.leave_subsection();
  }


  /** Trains the case's ensemble into @p file. */
  void
  train(const Case &c, const std::string &file, const bool quick)
  {
    ParameterHandler prm;
    Driver::declare_parameters(prm);
    set_problem(prm, c, c.training_values[0]);
    const unsigned int epochs = quick ? 40 : 400;
    prm.enter_subsection("Training");
    prm.set("Model", "ensemble");
    prm.set("Model file", file);
    prm.set("Epochs", std::to_string(epochs));
    prm.set("Seed", "1");
    prm.set("Resume", "false");
    prm.enter_subsection("ensemble");
    prm.set("Members", "4");
    prm.set("Hidden width", "32");
    prm.set("Hidden layers", "2");
    prm.set("Learning rate", 0.003);
    prm.set("Batch size", "256");
    prm.set("Mean warm-up epochs", std::to_string(epochs / 2));
    prm.set("Sampled parameter", c.entry);
    std::vector<std::string> values;
    for (const double v : c.training_values)
      values.push_back(format_number(v, 6));
    prm.set("Parameter values", join(values, ", "));
    prm.set("Snapshots per run", "20");
    prm.set("Samples per snapshot", std::to_string(c.samples_per_snapshot));
    prm.leave_subsection();
    prm.leave_subsection();
    std::ostringstream log;
    const auto         summary = Training::run(prm, log);
    std::cout << "  trained " << file << " (" << summary.epochs_completed
              << " epochs, final loss " << format_number(summary.final_loss)
              << ")" << std::endl;
  }


  /** The fields compared at one output time: the methods in order, their
   *  fields and, where it is not every free DoF, the entries each treats
   *  as random (the non-negativity step fixes some at 0). */
  struct CorrectedFields
  {
    std::vector<std::string>                             methods;
    std::map<std::string, GaussianField>                 fields;
    std::map<std::string, TrilinosWrappers::MPI::Vector> uncertain;
  };


  /** The base prediction, HardC, ProbConserv and, for pme and Stefan
   *  (fields >= 0), ProbConserv with the non-negativity step. */
  CorrectedFields
  correct_base(const Case                          &c,
               const GaussianField                 &base,
               const ConservationConstraints       &G,
               const TrilinosWrappers::MPI::Vector &is_free)
  {
    ProbConservSettings hard, exact_update;
    hard.hard_constraint = true;
    CorrectedFields corrected;
    corrected.fields["base"] = base;
    corrected.fields["hardc"] =
      probconserv_update(base, G, is_free, hard).posterior;
    corrected.fields["probconserv"] =
      probconserv_update(base, G, is_free, exact_update).posterior;
    corrected.methods = {"base", "hardc", "probconserv"};
    if (c.equation != "heat")
      {
        ProbConservSettings nonnegative;
        nonnegative.nonnegative = true;
        const auto result = probconserv_update(base, G, is_free, nonnegative);
        corrected.fields["probconserv-nonneg"]    = result.posterior;
        corrected.uncertain["probconserv-nonneg"] = result.uncertain;
        corrected.methods.push_back("probconserv-nonneg");
      }
    return corrected;
  }


  /** A row per method at @p time (each field's mean distributed first),
   *  against the exact solution @p exact and the finite element one. */
  template <int dim>
  void
  add_method_rows(const Case                                 &c,
                  const Problem<dim>                         &problem,
                  const ConservationConstraints              &G,
                  const TrilinosWrappers::MPI::Vector        &exact,
                  const TrilinosWrappers::MPI::Vector        &is_free,
                  const double                                time,
                  CorrectedFields                            &corrected,
                  ResultTable                                &table,
                  std::map<std::string, std::vector<double>> &errors_over_time)
  {
    const auto &dof_handler = problem.get_dof_handler();
    const auto &constraints = problem.get_constraints();
    for (const std::string &method : corrected.methods)
      {
        auto                                &field = corrected.fields[method];
        const TrilinosWrappers::MPI::Vector &random =
          corrected.uncertain.count(method) ? corrected.uncertain[method] :
                                              is_free;
        constraints.distribute(field.mean);
        const auto variance = field.variance();
        table.new_row();
        table.set("case", c.name);
        table.set("time", time);
        table.set("method", method);
        table.set("n_dofs", dof_handler.n_dofs());
        const double error = G.conservation_error(field.mean);
        table.set("conservation_error", error);
        if (method == "base")
          {
            // How many of its own standard deviations the base model's
            // integral is off: (g mu - b) / sqrt(g Sigma g). Far above
            // 1, the model is overconfident about the conserved
            // quantity, and the update, which must move the mean that
            // far, also shrinks the variance: the log-likelihood can
            // then fall.
            TrilinosWrappers::MPI::Vector Sg(G.row(0));
            field.apply_covariance(G.row(0), Sg);
            table.set("integral_z",
                      G.residuals(field.mean)[0] / std::sqrt(G.row(0) * Sg));
          }
        table.set("mse", mean_square_difference(field.mean, exact));
        table.set("log_likelihood",
                  log_likelihood(exact, field.mean, variance, random));
        table.set("mse_fe",
                  mean_square_difference(field.mean, problem.solution));
        table.set(
          "log_likelihood_fe",
          log_likelihood(problem.solution, field.mean, variance, random));
        if (c.equation == "stefan")
          {
            const double level = 0.5 * c.value;
            const auto   front = [&](const TrilinosWrappers::MPI::Vector &u) {
              return front_position<dim>(u,
                                         dof_handler,
                                         problem.get_mapping(),
                                         level);
            };
            table.set("front_error",
                      std::abs(front(field.mean) - front(exact)));
          }
        errors_over_time[c.name + " " + method].push_back(time);
        errors_over_time[c.name + " " + method].push_back(
          std::max(error, 1e-17));
      }
  }


  /** The rows of the references at @p time: the exact solution
   *  interpolated at the DoFs and the finite element solution. */
  template <int dim>
  void
  add_reference_rows(const Case                          &c,
                     const Problem<dim>                  &problem,
                     const ConservationConstraints       &G,
                     const TrilinosWrappers::MPI::Vector &exact,
                     const double                         time,
                     ResultTable                         &table)
  {
    // The reference itself, the exact solution interpolated at the
    // DoFs: its integral by quadrature differs from the exact integral
    // by the interpolation error (near a front), which bounds how much
    // meeting the exact integral can bring it closer.
    table.new_row();
    table.set("case", c.name);
    table.set("time", time);
    table.set("method", "interpolant");
    table.set("n_dofs", problem.get_dof_handler().n_dofs());
    table.set("conservation_error", G.conservation_error(exact));
    table.set("mse_fe", mean_square_difference(exact, problem.solution));
    // And the finite element solution the base model learned from: its
    // integral misses the exact one by the time and space
    // discretization error.
    table.new_row();
    table.set("case", c.name);
    table.set("time", time);
    table.set("method", "fe-solution");
    table.set("n_dofs", problem.get_dof_handler().n_dofs());
    table.set("conservation_error", G.conservation_error(problem.solution));
    table.set("mse", mean_square_difference(problem.solution, exact));
  }


  /** The profile for the plots: along x (in 2-D the line y = 0; the
   *  solutions are plane waves in x). */
  template <int dim>
  Profile
  final_profile(const Problem<dim>                  &problem,
                const TrilinosWrappers::MPI::Vector &exact,
                CorrectedFields                     &corrected)
  {
    std::map<types::global_dof_index, Point<dim>> points;
    DoFTools::map_dofs_to_support_points(problem.get_mapping(),
                                         problem.get_dof_handler(),
                                         points);
    auto      &fields        = corrected.fields;
    const auto base_variance = fields["base"].variance();
    const auto pc_variance   = fields["probconserv"].variance();
    Profile    profile;
    for (const auto i : problem.locally_owned_dofs())
      if (dim == 1 || std::abs(points.at(i)[dim - 1]) < 1e-12)
        profile.rows.push_back(
          {{points.at(i)[0],
            exact[i],
            fields["base"].mean[i],
            std::sqrt(std::max(0., double(base_variance[i]))),
            fields["probconserv"].mean[i],
            std::sqrt(std::max(0., double(pc_variance[i])))}});
    std::sort(profile.rows.begin(), profile.rows.end());
    return profile;
  }


  /** The comparison at the output time @p time (the profile too at the
   *  final one). */
  template <int dim>
  void
  compare_at_output_time(
    const Case                                 &c,
    const Problem<dim>                         &problem,
    const ProbabilisticModel                   &model,
    const double                                time,
    const bool                                  at_final_time,
    ResultTable                                &table,
    std::map<std::string, std::vector<double>> &errors_over_time,
    std::map<std::string, Profile>             &profiles)
  {
    const auto    &dof_handler = problem.get_dof_handler();
    const auto    &constraints = problem.get_constraints();
    const auto    &owned       = problem.locally_owned_dofs();
    const MPI_Comm comm        = problem.get_mpi_communicator();

    TrilinosWrappers::MPI::Vector exact(problem.solution), is_free(exact);
    problem.interpolate_exact_solution(exact);
    constraints.distribute(exact);
    for (const auto i : owned)
      is_free[i] = constraints.is_constrained(i) ? 0. : 1.;
    is_free.compress(VectorOperation::insert);

    const GaussianField     base = predict_field<dim>(model,
                                                  dof_handler,
                                                  problem.get_mapping(),
                                                  owned,
                                                  comm,
                                                  problem.time(),
                                                  problem.pde_parameters());
    ConservationConstraints G;
    G.add_integral<dim>(dof_handler,
                        problem.get_mapping(),
                        problem.get_quadrature(),
                        constraints,
                        owned,
                        problem.locally_relevant_dofs(),
                        comm,
                        *problem.exact_integral(),
                        "integral");
    CorrectedFields corrected = correct_base(c, base, G, is_free);
    add_method_rows<dim>(
      c, problem, G, exact, is_free, time, corrected, table, errors_over_time);
    add_reference_rows<dim>(c, problem, G, exact, time, table);
    if (at_final_time)
      profiles[c.name] = final_profile<dim>(problem, exact, corrected);
  }


  template <int dim>
  void
  run_case(const Case                                 &c,
           const std::string                          &model_file,
           ResultTable                                &table,
           std::map<std::string, std::vector<double>> &errors_over_time,
           std::map<std::string, Profile>             &profiles)
  {
    ParameterHandler prm;
    Driver::declare_parameters(prm);
    set_problem(prm, c, c.value);
    const ProblemSettings settings = ProblemParameters::parse(prm);
    auto           problem = ProblemParameters::create<dim>(settings, prm);
    SolverSettings amg;
    amg.relative_tolerance = 1e-10;
    auto       solver      = LinearSolver::create(amg, prm);
    const auto model       = load_probabilistic_model(model_file, {});

    const unsigned int n_steps = problem->n_steps();
    // Five output times, evenly spaced, the last one the final time.
    std::vector<unsigned int> outputs;
    for (unsigned int k = 1; k <= 5; ++k)
      outputs.push_back(
        static_cast<unsigned int>(std::lround(k * (n_steps - 1) / 5.)));
    for (unsigned int step = 0; step < n_steps; ++step)
      {
        problem->advance(step, *solver);
        if (std::find(outputs.begin(), outputs.end(), step) == outputs.end())
          continue;
        compare_at_output_time<dim>(c,
                                    *problem,
                                    *model,
                                    step * c.time_step,
                                    step + 1 == n_steps,
                                    table,
                                    errors_over_time,
                                    profiles);
      }
    std::cout << "  " << c.name << ": " << problem->get_dof_handler().n_dofs()
              << " DoFs, " << n_steps - 1 << " time steps" << std::endl;
  }


  /**
   * The update's cost against the base model's inference: a 2-D mesh of
   * @p cells_per_side^2 Q1 cells, 16 constraint rows (the integral over
   * each block of a 4 x 4 partition), an ensemble of the benchmark's
   * architecture (4 members, 2 x 32 units; the cost does not depend on the
   * weights). Best of three runs each.
   */
  void
  time_update(const unsigned int cells_per_side, ResultTable &timing)
  {
    const MPI_Comm                          comm = MPI_COMM_WORLD;
    parallel::distributed::Triangulation<2> tria(comm);
    GridGenerator::subdivided_hyper_cube(tria, cells_per_side);
    for (const auto &cell : tria.active_cell_iterators())
      {
        const auto centre = cell->center();
        cell->set_material_id(4 * std::min(3, int(4 * centre[1])) +
                              std::min(3, int(4 * centre[0])));
      }
    const FE_Q<2>     fe(1);
    const MappingQ<2> mapping(1);
    const QGauss<2>   quadrature(2);
    DoFHandler<2>     dof_handler(tria);
    dof_handler.distribute_dofs(fe);
    const IndexSet owned = dof_handler.locally_owned_dofs();
    IndexSet       relevant;
    DoFTools::extract_locally_relevant_dofs(dof_handler, relevant);
    AffineConstraints<double> constraints(relevant);
    constraints.close();

    const EnsembleModel model =
      EnsembleModel::initial({"x", "y", "t", "threshold"}, 4, 32, 2, 1);
    double        inference = 1e300, update = 1e300;
    GaussianField prediction;
    for (unsigned int k = 0; k < 3; ++k)
      {
        Timer timer;
        prediction = predict_field<2>(
          model, dof_handler, mapping, owned, comm, 0.05, {{"threshold", 0.6}});
        inference = std::min(inference, timer.wall_time());
      }
    // The network alone, without the support points and input rows
    // predict_field() builds.
    double forward = 1e300;
    {
      FullMatrix<double> inputs(owned.n_elements(), 4);
      for (unsigned int i = 0; i < inputs.m(); ++i)
        {
          inputs(i, 0) = (i % 317) / 317.;
          inputs(i, 1) = (i % 211) / 211.;
          inputs(i, 2) = 0.05;
          inputs(i, 3) = 0.6;
        }
      std::vector<Vector<double>> means, variances;
      for (unsigned int k = 0; k < 3; ++k)
        {
          Timer timer;
          model.predict(inputs, means, variances);
          forward = std::min(forward, timer.wall_time());
        }
    }
    ConservationConstraints G;
    for (unsigned int id = 0; id < 16; ++id)
      G.add_integral<2>(dof_handler,
                        mapping,
                        quadrature,
                        constraints,
                        owned,
                        relevant,
                        comm,
                        1e-3 * (id + 1),
                        "block " + std::to_string(id),
                        [id](const DoFHandler<2>::active_cell_iterator &cell) {
                          return cell->material_id() == id;
                        });
    TrilinosWrappers::MPI::Vector is_free(owned, comm);
    is_free      = 1.;
    double error = 0.;
    for (unsigned int k = 0; k < 3; ++k)
      {
        Timer      timer;
        const auto result = probconserv_update(prediction, G, is_free, {});
        update            = std::min(update, timer.wall_time());
        error             = result.conservation_error_after;
      }
    timing.new_row();
    timing.set("n_dofs", dof_handler.n_dofs());
    timing.set("constraints", G.n_rows());
    timing.set("members", model.n_members());
    timing.set("inference_seconds", inference);
    timing.set("update_seconds", update);
    timing.set("update_over_inference", update / inference);
    timing.set("network_seconds", forward);
    timing.set("update_over_network", update / forward);
    timing.set("conservation_error_after", error);
  }


  /** The command line. */
  struct Options
  {
    bool        quick = false, retrain = false;
    std::string json, dir              = "probconserv-benchmark", case_list;
  };


  /** The options, or none (after the usage) for an unknown argument. */
  std::optional<Options>
  parse_arguments(int argc, char **argv)
  {
    Options options;
    for (int i = 1; i < argc; ++i)
      {
        const std::string a = argv[i];
        if (a == "--quick")
          options.quick = true;
        else if (a == "--retrain")
          options.retrain = true;
        else if (a == "--json" && i + 1 < argc)
          options.json = argv[++i];
        else if (a == "--output" && i + 1 < argc)
          options.dir = argv[++i];
        else if (a == "--cases" && i + 1 < argc)
          options.case_list = argv[++i];
        else
          {
            std::cerr << "usage: " << argv[0]
                      << " [--quick] [--json FILE] [--output DIR] "
                         "[--cases LIST] [--retrain]\n";
            return std::nullopt;
          }
      }
    return options;
  }


  /** The cases (coarser and with twice the time step for @p quick), those
   *  named in @p case_list only if it is not empty. */
  std::vector<Case>
  benchmark_cases(const bool quick, const std::string &case_list)
  {
    // The parameter each model is trained on (four values) and the one
    // it is evaluated on (not among them).
    // clang-format off
    //  name, equation, dim, entry, input, training values, value,
    //  final time, time step, refinement (full, quick), samples per
    //  snapshot (0: all DoFs).
    std::vector<Case> cases = {
      {"heat-1d",   "heat",   1, "Diffusivity", "diffusivity", {1, 2, 3, 4},           2.5,  0.5, 0.005, 4, 2, 0},
      {"pme-1d",    "pme",    1, "Exponent",    "exponent",    {2, 3, 4, 5},           3.5,  0.5, 0.005, 7, 4, 0},
      {"stefan-1d", "stefan", 1, "Threshold",   "threshold",   {0.55, 0.6, 0.65, 0.7}, 0.62, 0.1, 0.001, 9, 4, 128},
      {"heat-2d",   "heat",   2, "Diffusivity", "diffusivity", {1, 2, 3, 4},           2.5,  0.5, 0.01,  3, 2, 250},
      {"pme-2d",    "pme",    2, "Exponent",    "exponent",    {2, 3, 4, 5},           3.5,  0.5, 0.005, 6, 3, 250},
      {"stefan-2d", "stefan", 2, "Threshold",   "threshold",   {0.55, 0.6, 0.65, 0.7}, 0.62, 0.1, 0.002, 6, 3, 250}};
    // clang-format on
    if (quick)
      for (auto &c : cases)
        {
          c.refinement = c.quick_refinement;
          c.time_step *= 2.;
        }
    if (!case_list.empty())
      {
        const auto names = Utilities::split_string_list(case_list);
        for (const auto &n : names)
          AssertThrow(std::any_of(cases.begin(),
                                  cases.end(),
                                  [&](const Case &c) { return c.name == n; }),
                      ExcMessage("--cases: unknown case '" + n + "'."));
        cases.erase(std::remove_if(cases.begin(),
                                   cases.end(),
                                   [&](const Case &c) {
                                     return std::find(names.begin(),
                                                      names.end(),
                                                      c.name) == names.end();
                                   }),
                    cases.end());
      }
    return cases;
  }


  /** What the run measures. */
  struct Results
  {
    /** A row per case, output time and method. */
    ResultTable table;
    /** Conservation error over time per case and method: t, error, ... */
    std::map<std::string, std::vector<double>> errors;
    std::map<std::string, Profile>             profiles;
    /** The update's cost against the base model's inference. */
    ResultTable timing;
  };


  /** Trains the cases' base models (unless there), runs the cases, then
   *  times the update. */
  Results
  run_benchmark(const std::vector<Case> &cases, const Options &options)
  {
    Results results;
    Timer   timer;
    for (const auto &c : cases)
      {
        std::cout << "[" << format_number(timer.wall_time()) << " s] " << c.name
                  << std::endl;
        const std::string model =
          options.dir + "/" + c.name + (options.quick ? "-quick" : "") + ".dle";
        if (options.retrain || !std::filesystem::exists(model))
          train(c, model, options.quick);
        if (c.dimension == 1)
          run_case<1>(
            c, model, results.table, results.errors, results.profiles);
        else
          run_case<2>(
            c, model, results.table, results.errors, results.profiles);
      }

    std::cout << "[" << format_number(timer.wall_time()) << " s] timing\n";
    time_update(options.quick ? 100 : 316, results.timing);
    return results;
  }


  /** The rows of @p table at each case's final time, with the columns
   *  that compare the methods. */
  ResultTable
  final_time_rows(const ResultTable &table, const std::vector<Case> &cases)
  {
    ResultTable final_rows;
    for (unsigned int r = 0; r < table.n_rows(); ++r)
      {
        const std::string name = std::get<std::string>(table.get(r, "case"));
        const Case       &c =
          *std::find_if(cases.begin(), cases.end(), [&](const Case &x) {
            return x.name == name;
          });
        if (std::abs(std::get<double>(table.get(r, "time")) - c.final_time) >
            1e-9)
          continue;
        final_rows.new_row();
        for (const std::string column : {"case", "n_dofs", "method"})
          {
            const auto &v = table.get(r, column);
            if (const auto *s = std::get_if<std::string>(&v))
              final_rows.set(column, *s);
            else
              final_rows.set(column, std::get<long long>(v));
          }
        for (const std::string column : {"conservation_error",
                                         "mse",
                                         "log_likelihood",
                                         "front_error",
                                         "integral_z",
                                         "mse_fe",
                                         "log_likelihood_fe"})
          try
            {
              final_rows.set(column, std::get<double>(table.get(r, column)));
            }
          catch (const std::exception &)
            {
              // Not measured for this row (the interpolant's own errors).
            }
      }
    return final_rows;
  }


  /** The tables on the screen, every row in the JSON file, the plots. */
  void
  write_report(const Results           &results,
               const std::vector<Case> &cases,
               const Options           &options)
  {
    std::cout << "\nAt the final time (the exact solution is the reference):\n";
    final_time_rows(results.table, cases).write_text(std::cout);
    std::cout << "\nUpdate against base-model inference:\n";
    results.timing.write_text(std::cout);

    std::ostringstream rows;
    rows << "{\n  \"rows\": ";
    results.table.write_json(rows, 4);
    rows << ",\n  \"timing\": ";
    results.timing.write_json(rows, 4);
    rows << "\n}\n";
    write_file_atomically(options.json, rows.str());
    std::cout << "Rows written to " << options.json << std::endl;
    write_plots(options.dir, results.errors, results.profiles);
  }


  /** Throws unless ProbConserv and HardC meet the constraint in every row,
   *  and the timing run's update its 16 targets. */
  void
  check_conservation(const Results &results)
  {
    const ResultTable &table = results.table;
    for (unsigned int r = 0; r < table.n_rows(); ++r)
      if (std::get<std::string>(table.get(r, "method")) ==
            "probconserv-nonneg" ||
          std::get<std::string>(table.get(r, "method")) == "hardc" ||
          std::get<std::string>(table.get(r, "method")) == "probconserv")
        AssertThrow(std::get<double>(table.get(r, "conservation_error")) <=
                      1e-12,
                    ExcMessage("A corrected field misses its conservation "
                               "target by more than 1e-12 (" +
                               std::get<std::string>(table.get(r, "case")) +
                               ")."));
    AssertThrow(std::get<double>(
                  results.timing.get(0, "conservation_error_after")) <= 1e-12,
                ExcMessage("The timing run's update misses its 16 targets "
                           "by more than 1e-12."));
  }
} // namespace


int
main(int argc, char **argv)
{
  Utilities::MPI::MPI_InitFinalize mpi(argc, argv, 1);
  try
    {
      std::optional<Options> options = parse_arguments(argc, argv);
      if (!options)
        return 2;
      AssertThrow(Utilities::MPI::n_mpi_processes(MPI_COMM_WORLD) == 1,
                  ExcMessage("The benchmark runs on one MPI rank."));
      ensure_writable_directory(options->dir, "--output");
      if (options->json.empty())
        options->json = options->dir + "/rows.json";

      const std::vector<Case> cases =
        benchmark_cases(options->quick, options->case_list);
      const Results results = run_benchmark(cases, *options);
      write_report(results, cases, *options);
      check_conservation(results);
    }
  catch (const std::exception &e)
    {
      std::cerr << "benchmark_probconserv: error: " << error_message(e)
                << std::endl;
      return 1;
    }
  return 0;
}
