/*
 * hard_constraints: what the hard-constraint layer costs, against the
 * number of DoFs and the number of experts K, and how accurate the neural
 * solver trained through it is, per method, side by side in one run.
 *
 * 1. Cost. On [-1, 1]^2 (uniform Q1 meshes of three sizes), for the linear
 *    diffusion-reaction residual (random coefficient) and the nonlinear
 *    diffusion residual, with N = 16 fixed basis fields (products of
 *    cosines; a network's output would take their place) and every
 *    residual row constrained, it runs the layer for K = 1, 2, 4, 8, 16
 *    z-order experts, each K > 1 also with interface coupling (weight 10),
 *    and reports per row: the forward time (the experts' Gauss-Newton /
 *    Levenberg-Marquardt fits), the backward time (dL/dB by the implicit
 *    function theorem for a fixed dL/du), their sum (what one training
 *    step spends in the layer), the largest number of iterations, the
 *    largest relative residual of an expert, the interface jump, and the
 *    speed-up of the step against K = 1 on the same mesh; and with the
 *    network (the trainer's default MLP at every DoF, forward and
 *    backward, the same for every K): the inference time (network and
 *    layer forward) and the whole training step. The experts stop
 *    at the tolerance 1e-6 within 200 iterations; a row whose experts do
 *    not is kept, with converged = false and the forward time spent. The
 *    network's own cost is not included. <dir>/step_time.png plots the
 *    step time against the DoFs per K (gnuplot, when installed).
 * 2. Accuracy. For each built-in residual (diffusion-reaction with the
 *    checkerboard and with the random coefficient, nonlinear diffusion,
 *    diffusion-sorption) it trains the neural solver with `dealii-learned
 *    train` (in-process; 60 epochs of 8 parameter draws on 1,089 DoFs,
 *    experts' tolerance 1e-4) by each method, with 3 seeds, and reports
 *    the mean and range over the seeds of the relative L2 error against
 *    the finite element solutions of 4 validation draws (a stream of draws
 *    training never uses), the best field the basis holds (the L2
 *    projection of those solutions onto each expert's basis), the training
 *    time; and the trivial predictions u = u_0 and, for the time step,
 *    u = u_old. The methods, at equal numbers of basis weights per solve
 *    where they are compared: soft; hard with N = 16 and with 64 basis
 *    fields; moe with K = 4 experts of N = 16, independent (energy norm)
 *    and coupled (weight 10, least squares, which coupling needs); hard
 *    with 64 fields by least squares; the previous design (least squares,
 *    no smoothing); for the random coefficient also the field encoder.
 *    All but the previous design take 16 learned smoothing steps with the
 *    problem's operator (none for the time step, whose operator is
 *    mass-dominated). A training whose experts do not converge is a row
 *    with trained = false.
 *
 * It prints the tables and writes <dir>/rows.json (or --json FILE) and
 * <dir>/accuracy.json, row by row as they finish.
 *
 *   benchmark_hard_constraints [--quick] [--part cost|accuracy|all]
 *                              [--refinements L,...] [--experts K,...]
 *                              [--json FILE] [--output DIR]
 *
 * --refinements and --experts replace the cost part's meshes (global
 * refinements of [-1, 1]^2) and numbers of experts.
 *
 * --quick: small meshes and 3 epochs (a smoke test, used in CTest). Build
 * in Release; the experts run as concurrent tasks on the threads deal.II
 * allows.
 */

#include <torch/torch.h>

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
#include <dealii-learned/driver/driver.h>
#include <dealii-learned/models/hard_constraint_network.h>
#include <dealii-learned/training/trainer.h>

#include <algorithm>
#include <cmath>
#include <cstdlib>
#include <fstream>
#include <iostream>
#include <map>
#include <optional>
#include <sstream>
#include <tuple>

using namespace dealii;
using namespace dealii_learned;

namespace
{
  /** ", Coefficient = jump" for a residual subsection that sets it. */
  std::string
  residual_section_label(const std::string &section)
  {
    return section.find("jump") != std::string::npos ? " (jump)" :
           section.empty()                           ? std::string() :
                                                       " (random)";
  }

  /** Rows of the step-time plot: K, DoFs, seconds, residual (0 linear). */
  std::ostringstream plot_rows;

  /** Writes @p table's rows to @p json (after every row: a run stopped
   *  halfway keeps what it measured). */
  void
  write_rows(const ResultTable &table, const std::string &json)
  {
    std::ostringstream rows;
    table.write_json(rows, 2);
    write_file_atomically(json, rows.str() + "\n");
  }


  /** The N fixed basis fields (products of cosines) at the locally
   *  relevant DoFs of @p space, row-major. */
  std::vector<double>
  basis_fields(const FiniteElementSpace<2> &space, const unsigned int N)
  {
    const IndexSet &relevant = space.locally_relevant;
    std::map<types::global_dof_index, Point<2>> points;
    DoFTools::map_dofs_to_support_points(space.mapping,
                                         space.dof_handler,
                                         points);
    std::vector<double> B(relevant.n_elements() * N);
    for (unsigned int r = 0; r < relevant.n_elements(); ++r)
      {
        const Point<2> x = points.at(relevant.nth_index_in_set(r));
        for (unsigned int b = 0; b < N; ++b)
          B[r * N + b] = std::cos(1.3 * (b % 4 + 1) * x[0] + 0.4 * b) *
                         std::cos(1.9 * (b / 4 + 1) * x[1] + 0.7 * b);
      }
    return B;
  }


  /**
   * The network's share of a step, the same for every K: the trainer's
   * default network (2 tanh layers of 32, @p N outputs) on the inputs of
   * the diffusion-reaction residual (x, y, one feature, 3 parameters) at
   * @p n_rows DoFs; the fastest of three runs of the forward and of the
   * backward pass, in seconds.
   */
  std::pair<double, double>
  time_network(const std::size_t n_rows, const unsigned int N)
  {
    double network_forward = 1e300, network_backward = 1e300;
    HardConstraintNetwork::Architecture architecture;
    architecture.n_features   = 1;
    architecture.n_parameters = 3;
    architecture.outputs      = N;
    HardConstraintNetwork::Network network(architecture);
    const torch::Tensor            inputs =
      torch::rand({static_cast<int64_t>(n_rows), 6}, torch::kFloat64);
    for (unsigned int repeat = 0; repeat < 3; ++repeat)
      {
        network->zero_grad();
        Timer               clock;
        const torch::Tensor out = network->forward(inputs, torch::Tensor());
        network_forward         = std::min(network_forward, clock.wall_time());
        clock.restart();
        out.backward(torch::ones_like(out));
        network_backward = std::min(network_backward, clock.wall_time());
      }
    return {network_forward, network_backward};
  }


  /** What every run of the layer on one mesh shares. */
  struct LayerInputs
  {
    const std::string           &name;
    const ResidualOperator<2>   &residual;
    const FiniteElementSpace<2> &space;
    /** The basis (relevant DoFs x N) and a fixed dL/du. */
    const std::vector<double>           &B;
    const unsigned int                   N;
    const TrilinosWrappers::MPI::Vector &dl_du;
    const double                         network_forward, network_backward;
  };


  /**
   * Runs the layer with @p K experts and interface weight @p weight and
   * adds its row; the first K's step time (@p reference) becomes
   * @p reference_step, the base of the speed-up. An expert that does not
   * converge gives a row that says so.
   */
  void
  run_layer(const LayerInputs &in,
            const unsigned int K,
            const double       weight,
            const bool         reference,
            double            &reference_step,
            ResultTable       &table,
            const std::string &json)
  {
    const FiniteElementSpace<2> &space = in.space;
    const std::string           &name  = in.name;
    const ExpertPartition<2>     experts(space.dof_handler,
                                     space.constraints,
                                     space.locally_owned,
                                     space.locally_relevant,
                                     K,
                                     "z-order",
                                     space.mpi_communicator);
    HardConstraintSettings       settings;
    settings.tolerance        = 1e-6;
    settings.max_iterations   = 200;
    settings.interface_weight = weight;
    HardConstraintLayer<2>        layer(in.residual, space, experts, settings);
    TrilinosWrappers::MPI::Vector u;
    Timer                         timer;
    try
      {
        layer.forward(in.B.data(), in.N, u);
      }
    catch (const std::exception &e)
      {
        // An expert that does not converge is a result here: the row
        // says so (and which), and the run goes on.
        table.new_row();
        table.set("residual", name);
        table.set("n_dofs", space.dof_handler.n_dofs());
        table.set("experts", K);
        table.set("coupled", weight > 0.);
        table.set("forward_seconds", timer.wall_time());
        table.set("converged", false);
        std::cout << "  " << name << ", " << space.dof_handler.n_dofs()
                  << " DoFs, " << K
                  << (weight > 0. ? " coupled experts: " : " experts: ")
                  << error_message(e) << std::endl;
        write_rows(table, json);
        return;
      }
    const double        forward = timer.wall_time();
    std::vector<double> dl_dB(layer.n_rows() * in.N);
    timer.restart();
    layer.backward(in.dl_du, dl_dB.data());
    const double backward = timer.wall_time();
    const double step     = forward + backward;
    if (reference)
      reference_step = step;
    unsigned int iterations = 0;
    for (const auto &r : layer.reports())
      iterations = std::max(iterations, r.iterations);

    if (weight == 0.)
      plot_rows << K << ' ' << space.dof_handler.n_dofs() << ' ' << step << ' '
                << (in.residual.is_linear() ? 0 : 1) << '\n';
    const double network = in.network_forward + in.network_backward;
    table.new_row();
    table.set("residual", name);
    table.set("n_dofs", space.dof_handler.n_dofs());
    table.set("experts", K);
    table.set("coupled", weight > 0.);
    table.set("forward_seconds", forward);
    table.set("backward_seconds", backward);
    table.set("step_seconds", step);
    table.set("network_seconds", network);
    table.set("inference_seconds", in.network_forward + forward);
    table.set("training_step_seconds", network + step);
    table.set("speedup_over_one_expert", reference_step / step);
    table.set("converged", true);
    table.set("max_iterations", iterations);
    table.set("max_expert_residual", layer.max_expert_residual());
    table.set("interface_jump", layer.interface_jump());
    std::cout << "  " << name << ", " << space.dof_handler.n_dofs() << " DoFs, "
              << K
              << (weight > 0. ? " coupled experts: step " : " experts: step ")
              << format_number(step, 3) << " s (forward "
              << format_number(forward, 3) << " s, backward "
              << format_number(backward, 3) << " s), " << iterations
              << " iterations" << std::endl;
    write_rows(table, json);
  }


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

    // The basis, the network's time and a fixed dL/du.
    const unsigned int        N = 16;
    const std::vector<double> B = basis_fields(space, N);
    const auto [network_forward, network_backward] =
      time_network(relevant.n_elements(), N);
    TrilinosWrappers::MPI::Vector dl_du(owned, comm);
    for (const auto i : owned)
      dl_du[i] = std::sin(0.37 * i);
    dl_du.compress(VectorOperation::insert);
    const LayerInputs inputs{
      name, *residual, space, B, N, dl_du, network_forward, network_backward};

    double reference_step = 0.;
    // Each K without coupling, and for K > 1 with it (Interface weight
    // 10: the interface rows and the penalty rows join one joint solve).
    std::vector<std::pair<unsigned int, double>> runs;
    for (const unsigned int K : experts_counts)
      {
        runs.emplace_back(K, 0.);
        if (K > 1)
          runs.emplace_back(K, 10.);
      }
    for (const auto &[K, weight] : runs)
      run_layer(inputs,
                K,
                weight,
                K == experts_counts.front(),
                reference_step,
                table,
                json);
  }

  /** One way of training the neural solver (a row of the accuracy
   *  study). */
  struct Method
  {
    std::string  label;
    std::string  method; // soft, hard, moe
    unsigned int experts   = 1;
    unsigned int basis     = 16;
    double       interface = 0.;
    std::string  norm      = "energy";
    bool         smoothing = true; // Basis smoothing steps = 16
    unsigned int sensors   = 0;

    /** Basis weights fitted per solve: K N. */
    unsigned int
    weights() const
    {
      return method == "soft" ? 0 : experts * basis;
    }
  };


  /** The number after @p key in @p screen, or -1. */
  double
  number_after(const std::string &screen, const std::string &key)
  {
    const auto at = screen.find(key);
    return at == std::string::npos ? -1. :
                                     std::stod(screen.substr(at + key.size()));
  }


  /**
   * Trains the neural solver for one residual with one method through
   * `dealii-learned train` (in-process) with each seed, and adds a row:
   * the mean and range over the seeds of the relative L2 error against the
   * finite element solutions of the validation draws (drawn from a stream
   * training never uses), of the best field the basis holds (the L2
   * projection of those solutions onto each expert's basis), the final
   * validation loss and the training time; for a time step the error of u
   * = u_old. A training that fails (an expert that does not converge) is
   * a row with trained = false and the message.
   */
  void
  train(const std::string               &residual,
        const std::string               &residual_section,
        const Method                    &m,
        const std::vector<unsigned int> &seeds,
        const bool                       quick,
        const std::string               &dir,
        ResultTable                     &table,
        const std::string               &json)
  {
    const unsigned int epochs = quick ? 3 : 60, samples = 8;
    // Damped Jacobi with a mass-dominated operator (one implicit time
    // step) shrinks every field by about 1/3 per step: no smoothing there.
    const unsigned int smoothing =
      m.smoothing && residual != "diffusion-sorption" ? 16 : 0;
    std::string coefficient = residual_section_label(residual_section);
    for (const char c : std::string(" ()"))
      coefficient.erase(std::remove(coefficient.begin(), coefficient.end(), c),
                        coefficient.end());
    std::string name = m.label;
    for (const char c : std::string(" =,()+"))
      std::replace(name.begin(), name.end(), c, '-');
    table.new_row();
    table.set("residual", residual + residual_section_label(residual_section));
    table.set("method", m.label);
    table.set("weights_per_solve", m.weights());
    table.set("norm", m.norm);
    table.set("smoothing_steps", smoothing);
    table.set("seeds", static_cast<unsigned int>(seeds.size()));
    std::vector<double> errors, projections, losses, seconds, previous;
    try
      {
        for (const unsigned int seed : seeds)
          {
            const std::string file =
              dir + "/" + residual +
              (coefficient.empty() ? "" : "-" + coefficient) + "-" + name +
              "-seed" + std::to_string(seed);
            std::ofstream(file + ".prm")
              << "subsection Training\n"
                 "  set Model = hard-constraint\n"
                 "  set Model file = "
              << file << ".dlh\n  set Epochs = " << epochs
              << "\n  set Seed = " << seed
              << "\n  set Resume = false\n"
                 "  subsection hard-constraint\n"
                 "    set Method = "
              << m.method << "\n    set Experts = " << m.experts
              << "\n    set Interface weight = "
              << m.interface << "\n    set Residual norm = " << m.norm
              << "\n    set Basis smoothing steps = " << smoothing
              << "\n    set Sensors per direction = " << m.sensors
              << "\n    set Basis fields = "
              << m.basis
              // (A last layer of width W gives at most W + 1 independent
              // fields: at least N wide.)
              << "\n    set Hidden width = " << std::max(32u, m.basis)
              << "\n"
                 "    set Hidden layers = 2\n"
                 "    set Learning rate = 0.003\n"
                 "    set Samples per epoch = "
              << samples << "\n    set Validation samples = 4\n"
              << "    set Global refinement = " << (quick ? 4 : 5)
              << "\n    set Tolerance = 1e-4\n"
                 "    set Maximum iterations = 200\n"
                 "    set Residual = "
              << residual << "\n"
              << residual_section << "  end\nend\n";
            ParameterHandler prm;
            Driver::read_parameters(file + ".prm", prm);
            std::ostringstream out;
            Timer              timer;
            Training::run(prm, out);
            const std::string screen = out.str();
            errors.push_back(number_after(screen, "validation draws: "));
            losses.push_back(number_after(screen, "(final loss "));
            AssertThrow(errors.back() >= 0. && losses.back() >= 0.,
                        ExcMessage("no error in the training output:\n" +
                                   screen));
            projections.push_back(
              number_after(screen, "finite element solutions): "));
            previous.push_back(number_after(screen, "(u = u_old): "));
            seconds.push_back(timer.wall_time());
          }
        const auto mean = [](const std::vector<double> &v) {
          double sum = 0.;
          for (const double x : v)
            sum += x;
          return sum / v.size();
        };
        const double low  = *std::min_element(errors.begin(), errors.end()),
                     high = *std::max_element(errors.begin(), errors.end());
        table.set("relative_l2_error", mean(errors));
        table.set("error_min", low);
        table.set("error_max", high);
        if (projections.front() >= 0.)
          table.set("basis_projection_error", mean(projections));
        if (previous.front() >= 0.)
          table.set("u_old_error", mean(previous));
        table.set_detail("validation_loss", mean(losses));
        table.set("training_seconds", mean(seconds));
        table.set_detail("seconds_per_step",
                         mean(seconds) / (epochs * samples));
        table.set("trained", true);
        std::cout << "  " << residual
                  << residual_section_label(residual_section) << ", " << m.label
                  << ": error " << format_number(mean(errors), 3) << " ("
                  << format_number(low, 3) << "-" << format_number(high, 3)
                  << " over " << seeds.size() << " seeds), "
                  << format_number(mean(seconds), 3) << " s per training"
                  << std::endl;
      }
    catch (const std::exception &e)
      {
        table.set("trained", false);
        std::cout << "  " << residual << ", " << m.label
                  << ": training failed: " << error_message(e) << std::endl;
      }
    write_rows(table, json);
  }


  /** Step time against DoFs, one line per K, for the linear and the
   *  nonlinear residual (uncoupled experts), through gnuplot when it is
   *  there. */
  void
  write_plot(const std::string &dir)
  {
    // plot_rows: K, DoFs, seconds, residual (0: linear); one data block
    // per (residual, K), in that order.
    std::map<std::pair<int, unsigned int>, std::string> blocks;
    std::istringstream                                  in(plot_rows.str());
    unsigned int                                        K;
    double                                              dofs, seconds;
    int                                                 nonlinear;
    while (in >> K >> dofs >> seconds >> nonlinear)
      blocks[{nonlinear, K}] +=
        std::to_string(dofs) + ' ' + std::to_string(seconds) + '\n';
    std::ostringstream data, gp;
    unsigned int       index = 0;
    gp << "set terminal pngcairo size 1200,550\nset output '" << dir
       << "/step_time.png'\nset multiplot layout 1,2\nset logscale xy\n"
          "set xlabel 'DoFs'\nset ylabel 'layer time per training step "
          "[s]'\nset key left\n";
    for (const int residual : {0, 1})
      {
        gp << "set title '"
           << (residual == 0 ? "diffusion-reaction (linear)" :
                               "nonlinear-diffusion")
           << "'\nplot ";
        bool first = true;
        for (const auto &[key, rows] : blocks)
          if (key.first == residual)
            {
              data << rows << "\n\n";
              gp << (first ? "" : ", ") << "'" << dir
                 << "/step_time.dat' index " << index
                 << " using 1:2 with linespoints title 'K = " << key.second
                 << "'";
              first = false;
              ++index;
            }
        gp << '\n';
      }
    gp << "unset multiplot\n";
    write_file_atomically(dir + "/step_time.dat", data.str());
    write_file_atomically(dir + "/step_time.gp", gp.str());
    if (std::system("command -v gnuplot > /dev/null 2>&1") == 0 &&
        std::system(("gnuplot '" + dir + "/step_time.gp'").c_str()) != 0)
      std::cout << "gnuplot failed on " << dir << "/step_time.gp" << std::endl;
  }


  /** The command line. */
  struct Options
  {
    bool        quick = false;
    std::string json, dir = "hard-constraints-results", part = "all";
    /** The cost part's meshes and numbers of experts (empty: the
     *  defaults). */
    std::vector<unsigned int> refinements, experts;
  };


  /** "a,b,c" as numbers, or nothing for anything else. */
  std::optional<std::vector<unsigned int>>
  parse_list(const std::string &text)
  {
    std::vector<unsigned int> values;
    for (const auto &item : Utilities::split_string_list(text, ','))
      if (unsigned int value; parse_unsigned(item, value))
        values.push_back(value);
      else
        return std::nullopt;
    if (values.empty())
      return std::nullopt;
    return values;
  }


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
        else if (a == "--json" && i + 1 < argc)
          options.json = argv[++i];
        else if (a == "--output" && i + 1 < argc)
          options.dir = argv[++i];
        else if (const auto list =
                   (a == "--refinements" || a == "--experts") && i + 1 < argc ?
                     parse_list(argv[i + 1]) :
                     std::nullopt)
          {
            (a == "--refinements" ? options.refinements : options.experts) =
              *list;
            ++i;
          }
        else if (a == "--part" && i + 1 < argc &&
                 (std::string(argv[i + 1]) == "cost" ||
                  std::string(argv[i + 1]) == "accuracy" ||
                  std::string(argv[i + 1]) == "all"))
          options.part = argv[++i];
        else
          {
            std::cerr << "Usage: " << argv[0]
                      << " [--quick] [--part cost|accuracy|all] "
                         "[--refinements L,...] [--experts K,...] [--json "
                         "FILE] [--output DIR]\n";
            return std::nullopt;
          }
      }
    return options;
  }


  /** Part 1: the layer's cost per mesh size, residual and K; the table,
   *  its rows in @p options.json and the plot. */
  void
  run_cost_study(const Options &options)
  {
    const std::vector<unsigned int> refinements =
      !options.refinements.empty() ? options.refinements :
      options.quick                ? std::vector<unsigned int>{4, 5} :
                                     std::vector<unsigned int>{6, 8, 9};
    const std::vector<unsigned int> experts =
      !options.experts.empty() ? options.experts :
      options.quick            ? std::vector<unsigned int>{1, 4} :
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
          run(name, p, refinement, experts, table, options.json);
        }
    std::cout << "\nThe layer's cost per training step (N = 16 basis "
                 "fields, every residual row constrained):\n";
    table.write_text(std::cout);
    std::cout << "Rows written to " << options.json << std::endl;
    write_plot(options.dir);
  }


  /** Part 2: the neural solver trained with each method on each residual;
   *  the table and its rows in <dir>/accuracy.json. */
  void
  run_accuracy_study(const Options &options)
  {
    ResultTable       accuracy;
    const std::string accuracy_json = options.dir + "/accuracy.json";
    const std::vector<unsigned int> seeds =
      options.quick ? std::vector<unsigned int>{1} :
                      std::vector<unsigned int>{1, 2, 3};
    // At equal weights per solve: hard with K N = 64 basis fields against
    // K = 4 experts with N = 16 each, uncoupled (energy norm) and coupled
    // (least squares: coupling needs it); one expert with N = 16; the
    // previous design (least squares, no smoothing); the soft loss.
    std::vector<Method> methods = {
      {"soft", "soft", 1, 1, 0., "energy", true, 0},
      {"hard N=16", "hard", 1, 16, 0., "energy", true, 0},
      {"hard N=64", "hard", 1, 64, 0., "energy", true, 0},
      {"moe K=4 N=16", "moe", 4, 16, 0., "energy", true, 0},
      {"hard N=64 least squares", "hard", 1, 64, 0., "euclidean", true, 0},
      {"moe K=4 N=16 coupled least squares",
       "moe",
       4,
       16,
       10.,
       "euclidean",
       true,
       0},
      {"hard N=16 least squares, no smoothing (previous design)",
       "hard",
       1,
       16,
       0.,
       "euclidean",
       false,
       0}};
    if (options.quick)
      methods = {methods[0], methods[1], methods[3], methods[5]};
    std::cout << "\nTraining the neural solver (" << methods.size()
              << " methods, " << seeds.size() << " seeds each):" << std::endl;
    for (const auto &[residual, section] :
         std::vector<std::pair<std::string, std::string>>{
           {"diffusion-reaction",
            "    subsection diffusion-reaction\n"
            "      set Coefficient = jump\n    end\n"},
           {"diffusion-reaction",
            "    subsection diffusion-reaction\n"
            "      set Coefficient = random\n    end\n"},
           {"nonlinear-diffusion", ""},
           {"diffusion-sorption", ""}})
      {
        // The trivial prediction u = u_0 (the boundary values): 100%, as
        // all four residuals here have u = 0 on the boundary.
        accuracy.new_row();
        accuracy.set("residual", residual + residual_section_label(section));
        accuracy.set("method", std::string("u = u_0 (trivial)"));
        accuracy.set("weights_per_solve", 0u);
        accuracy.set("relative_l2_error", 1.);
        accuracy.set("trained", true);
        auto all = methods;
        // The field encoder where the coefficient's layout changes with
        // every draw.
        if (section.find("random") != std::string::npos && !options.quick)
          all.push_back(
            {"hard N=16 + encoder", "hard", 1, 16, 0., "energy", true, 16});
        for (const auto &m : all)
          train(residual,
                section,
                m,
                seeds,
                options.quick,
                options.dir,
                accuracy,
                accuracy_json);
      }
    std::cout << "\nRelative L2 error against the finite element "
                 "solutions (validation draws; mean and range over the "
                 "seeds):\n";
    accuracy.write_text(std::cout);
    std::cout << "Rows written to " << accuracy_json << std::endl;
  }
} // namespace


int
main(int argc, char **argv)
{
  Utilities::MPI::MPI_InitFinalize mpi(argc, argv);
  try
    {
      std::optional<Options> options = parse_arguments(argc, argv);
      if (!options)
        return 2;
      ensure_writable_directory(options->dir, "--output");
      if (options->json.empty())
        options->json = options->dir + "/rows.json";
      if (options->part != "accuracy")
        run_cost_study(*options);
      if (options->part != "cost")
        run_accuracy_study(*options);
    }
  catch (const std::exception &e)
    {
      std::cerr << "benchmark_hard_constraints: error: " << error_message(e)
                << std::endl;
      return 1;
    }
  return 0;
}
