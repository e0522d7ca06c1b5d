// The tables and plots of benchmark_solver_comparison: see
// solver_comparison_report.h.

#include "solver_comparison_report.h"

#include <dealii-learned/base/result_table.h>

#include <cstdlib>
#include <fstream>
#include <iostream>
#include <variant>

using namespace dealii_learned;

namespace benchmark_solver_comparison
{
  namespace
  {
    /** Residual histories of the largest size: one plot per problem, one
     *  curve per method. Returns the gnuplot scripts. */
    std::vector<std::string>
    write_residual_plots(
      const std::string                                &dir,
      const std::map<std::string, std::vector<double>> &histories)
    {
      std::map<std::string,
               std::vector<std::pair<std::string, const std::vector<double> *>>>
        by_problem;
      for (const auto &[name, h] : histories)
        {
          const auto space = name.find(' ');
          by_problem[name.substr(0, space)].emplace_back(name.substr(space + 1),
                                                         &h);
        }
      std::vector<std::string> scripts;
      for (const auto &[problem, curves] : by_problem)
        {
          const std::string base = dir + "/residuals-" + problem;
          std::ofstream     data(base + ".dat");
          std::ofstream     gp(base + ".gp");
          gp
            << "set terminal pngcairo size 900,600\nset output '" << base
            << ".png'\nset title '" << problem
            << " (largest size)'\nset logscale xy\nset xlabel 'iteration + 1'\n"
               "set ylabel '|r| / |b|'\nset key outside right\nplot ";
          // Iterations on a log axis: the learned and AMG curves end near 10,
          // the unpreconditioned ones near 10^4.
          for (unsigned int k = 0; k < curves.size(); ++k)
            {
              const auto &h = *curves[k].second;
              for (unsigned int i = 0; i < h.size(); ++i)
                data << i + 1 << ' ' << h[i] << '\n';
              data << "\n\n";
              gp << (k ? ", " : "") << "'" << base << ".dat' index " << k
                 << " with lines lw 2 title '" << curves[k].first << "'";
            }
          gp << '\n';
          scripts.push_back(base + ".gp");
        }
      return scripts;
    }


    /** Total time against DoFs: one panel per problem, one curve per
     *  method. */
    void
    write_time_plot(const std::string &dir, const ResultTable &table)
    {
      std::map<std::string,
               std::map<std::string, std::vector<std::pair<double, double>>>>
        series;
      for (std::size_t r = 0; r < table.n_rows(); ++r)
        series[std::get<std::string>(table.get(r, "problem"))]
              [std::get<std::string>(table.get(r, "method"))]
                .emplace_back(double(
                                std::get<long long>(table.get(r, "n_dofs"))),
                              std::get<double>(table.get(r, "total_seconds")));
      std::ofstream      data(dir + "/time_vs_dofs.dat");
      std::ofstream      gp(dir + "/time_vs_dofs.gp");
      const unsigned int columns = series.size() > 1 ? 2 : 1;
      const unsigned int rows    = (series.size() + columns - 1) / columns;
      gp
        << "set terminal pngcairo size " << 700 * columns << ',' << 500 * rows
        << "\nset output '" << dir
        << "/time_vs_dofs.png'\nset multiplot layout " << rows << ',' << columns
        << "\nset logscale xy\nset xlabel 'DoFs'\nset ylabel 'setup + solve [s]'\n"
           "set key top left\n";
      unsigned int block = 0;
      for (const auto &[problem, methods] : series)
        {
          gp << "set title '" << problem << "'\nplot ";
          bool first = true;
          for (const auto &[method, points] : methods)
            {
              for (const auto &p : points)
                data << p.first << ' ' << p.second << '\n';
              data << "\n\n";
              gp << (first ? "" : ", ") << "'" << dir
                 << "/time_vs_dofs.dat' index " << block
                 << " with linespoints lw 2 title '" << method << "'";
              first = false;
              ++block;
            }
          gp << '\n';
        }
      gp << "unset multiplot\n";
    }


    /** Runs gnuplot on @p scripts and the time plot's, if it is there. */
    void
    run_gnuplot(const std::string &dir, std::vector<std::string> scripts)
    {
      if (std::system("command -v gnuplot > /dev/null 2>&1") == 0)
        {
          scripts.push_back(dir + "/time_vs_dofs.gp");
          bool ok = true;
          for (const auto &script : scripts)
            ok &= std::system(("gnuplot " + script).c_str()) == 0;
          std::cout
            << (ok ?
                  "Plots written to " + dir + "/residuals-<problem>.png and " +
                    dir + "/time_vs_dofs.png" :
                  std::string("gnuplot failed; the .gp scripts are in ") + dir)
            << std::endl;
        }
      else
        std::cout << "gnuplot not found: plot data and scripts are in " << dir
                  << " (apt-get install gnuplot-nox)" << std::endl;
    }
  } // namespace


  void
  write_tables(std::ostream &out, const ResultTable &table)
  {
    out << '\n';
    table.write_text(out,
                     {"problem",
                      "n_dofs",
                      "ranks",
                      "method",
                      "iterations",
                      "setup_seconds",
                      "solve_seconds",
                      "total_seconds",
                      "ratio_to_amg"});
    // Where the learned methods' time goes: building the network's
    // hierarchy (setup, and its phases: diagonal scaling with the spectrum
    // estimate, aggregation, prolongation, Galerkin products, copies),
    // applying the network, and the rest of the solve (matrix products,
    // orthogonalisation, vector updates).
    out << "\nProfile of the learned methods (seconds):\n";
    ResultTable profile;
    for (unsigned int r = 0; r < table.n_rows(); ++r)
      {
        const auto method = std::get<std::string>(table.get(r, "method"));
        // dcdm, fcg+neural, and the `dcdm LABEL` rows of --models.
        if (method.rfind("dcdm", 0) != 0 && method != "fcg+neural")
          continue;
        const double setup = std::get<double>(table.get(r, "setup_seconds"));
        const double solve = std::get<double>(table.get(r, "solve_seconds"));
        const double network =
          std::get<double>(table.get(r, "network_seconds"));
        const long long its = std::get<long long>(table.get(r, "iterations"));
        profile.new_row();
        profile.set("problem", std::get<std::string>(table.get(r, "problem")));
        profile.set("n_dofs", std::get<long long>(table.get(r, "n_dofs")));
        profile.set("method", method);
        profile.set("iterations", its);
        profile.set("hierarchy_setup", setup);
        // The hierarchy's phases, and the network's single-precision
        // copies of its matrices with the level vectors (the rest of
        // setup is the solve frame's own).
        for (const std::string phase :
             {"scaling", "aggregation", "prolongation", "galerkin", "copy"})
          profile.set("setup_" + phase,
                      std::get<double>(
                        table.get(r, "setup_" + phase + "_seconds")));
        profile.set("network_apply", network);
        profile.set("krylov_rest", solve - network);
        profile.set("network_per_iteration", its > 0 ? network / its : 0.);
      }
    profile.write_text(out, profile.column_names());
  }


  void
  write_plots(const std::string                                &dir,
              const ResultTable                                &table,
              const std::map<std::string, std::vector<double>> &histories)
  {
    std::vector<std::string> scripts = write_residual_plots(dir, histories);
    write_time_plot(dir, table);
    run_gnuplot(dir, scripts);
  }
} // namespace benchmark_solver_comparison
