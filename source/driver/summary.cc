#include <dealii-learned/base/result_table.h>
#include <dealii-learned/base/utilities.h>
#include <dealii-learned/driver/summary.h>

#include <algorithm>
#include <iomanip>
#include <sstream>

namespace dealii_learned
{
  namespace Driver
  {
    void
    add_solver_columns(ResultTable &table, const SolverReport &r)
    {
      table.set("method", r.method);
      table.set("preconditioner", r.preconditioner);
      table.set("iterations", r.iterations);
      table.set("converged", r.converged);
      table.set("relative_residual", r.relative_residual);
      table.set("restarts", r.restarts);
      table.set("setup_seconds", r.setup_seconds);
      table.set("solve_seconds", r.solve_seconds);
      for (const auto &s : r.statistics)
        table.set(s.first, s.second);
      for (const auto &d : r.details)
        table.set_detail(d.first, d.second);
    }


    void
    print_solver_line(std::ostream &out, const SolverReport &r)
    {
      std::ostringstream line;
      line << "  " << std::left << std::setw(12)
           << (r.preconditioner.empty() ?
                 r.method :
                 r.method + "(" + r.preconditioner + ")")
           << std::right << std::setw(6) << r.iterations << " iterations"
           << (r.converged ? "" : " (not converged)") << ", relative residual "
           << std::setprecision(3) << std::scientific << r.relative_residual
           << '\n';
      for (const auto &w : r.warnings)
        line << "    warning: " << w << '\n';
      for (const auto &n : r.notes)
        line << "    note: " << n << '\n';
      out << line.str();
    }


    void
    write_summary(const std::string     &directory,
                  const ProblemSettings &problem,
                  const unsigned int     n_ranks,
                  const ResultTable     &table)
    {
      std::ostringstream json;
      json << "{\n"
           << "  \"problem\": " << json_string(problem.name) << ",\n"
           << "  \"dimension\": " << problem.dimension << ",\n"
           << "  \"fe_degree\": " << problem.fe_degree << ",\n"
           << "  \"coefficient_contrast\": " << problem.coefficient_contrast
           << ",\n"
           << "  \"mpi_ranks\": " << n_ranks << ",\n"
           << "  \"records\": ";
      table.write_json(json, 4);
      json << "\n}\n";
      write_file_atomically(directory + "/summary.json", json.str());
    }


    void
    print_summary(std::ostream      &out,
                  const ResultTable &table,
                  const bool         print_timings)
    {
      std::vector<std::string> columns = table.column_names();
      columns.erase(std::remove_if(columns.begin(),
                                   columns.end(),
                                   [&](const std::string &c) {
                                     return table.is_detail(c) ||
                                            (!print_timings &&
                                             c.find("seconds") !=
                                               std::string::npos);
                                   }),
                    columns.end());
      table.write_text(out, columns);
    }
  } // namespace Driver
} // namespace dealii_learned
