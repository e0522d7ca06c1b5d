/*
 * `Method = auto`: a hook that times candidate hooks on the host's own
 * systems and keeps the fastest.
 */

#include <deal.II/base/mpi.h>
#include <deal.II/base/parameter_handler.h>
#include <deal.II/base/utilities.h>

#include <deal.II/lac/sparse_matrix.h>
#include <deal.II/lac/trilinos_sparse_matrix.h>
#include <deal.II/lac/trilinos_vector.h>
#include <deal.II/lac/vector.h>

#include <dealii-learned/base/collective.h>
#include <dealii-learned/base/utilities.h>
#include <dealii-learned/solvers/solver_hook.h>

#include <algorithm>
#include <chrono>
#include <cmath>
#include <deque>
#include <exception>
#include <iomanip>
#include <limits>
#include <numeric>
#include <sstream>

namespace dealii_learned
{
  using namespace dealii;

  namespace
  {
    /** Seconds of wall time, as text with three significant digits. */
    std::string
    seconds_text(const double seconds)
    {
      std::ostringstream s;
      if (!std::isfinite(seconds))
        s << "failed";
      else if (seconds < 1e-3)
        s << std::setprecision(3) << seconds * 1e6 << " us";
      else if (seconds < 1.)
        s << std::setprecision(3) << seconds * 1e3 << " ms";
      else
        s << std::setprecision(3) << seconds << " s";
      return s.str();
    }


    /**
     * The `auto` hook. A measurement runs every candidate on the next
     * `Trial solves` systems, each from the host's initial guess, and keeps
     * the candidate with the least mean wall time per solve (setup
     * included: reuse across solves shows in the later trial solves). The
     * host gets the solution of the fastest converged candidate of each
     * trial system; the time spent in the others is reported as setup, so
     * that auto's figures are its whole cost. Between measurements only the
     * kept hook solves. A new measurement starts when the number of
     * unknowns has changed by `Remeasure size factor` since the last one,
     * when the kept hook's mean wall time per solve and unknown over its
     * last solves has grown by `Remeasure cost factor`, or when the kept
     * hook fails to converge (then on that same system, without it).
     *
     * Distributed solves decide on the largest time over the ranks, so all
     * ranks keep the same hook; a candidate's failure that all ranks share
     * (non-convergence, a model that does not fit the system) drops it from
     * the measurement, one on some ranks only ends the job
     * (abort_on_lone_failure()).
     */
    class AutoSolver : public SolverHook
    {
    public:
      static void
      declare_parameters(ParameterHandler &prm)
      {
        prm.declare_entry(
          "Candidates",
          "cg:ssor, cg:amg, dcdm",
          Patterns::List(Patterns::Anything(), 1),
          "The hooks `auto' chooses from, as a comma-separated list of "
          "method or method:preconditioner (as in `Compare with'). Each "
          "reads its parameters from its own subsection of `Linear solver' "
          "(`AMG reuse' in `cg', `Model file' in `dcdm', ...).");
        prm.declare_entry(
          "Trial solves",
          "2",
          Patterns::Integer(1, 100),
          "Systems on which every candidate solves in a measurement; the "
          "candidate with the least mean wall time per solve over them is "
          "kept. More than one lets a hook that reuses its setup between "
          "solves (`AMG reuse', `Reuse network') show its cost on later "
          "solves. A candidate that took more than ten times the fastest "
          "one's time on the first trial system skips the others.");
        prm.declare_entry(
          "Remeasure size factor",
          "4",
          Patterns::Double(0.),
          "Measure again when the number of unknowns has grown or shrunk by "
          "this factor since the last measurement. 0: never for this "
          "reason.");
        prm.declare_entry(
          "Remeasure cost factor",
          "2",
          Patterns::Double(0.),
          "Measure again when the kept hook's mean wall time per solve and "
          "unknown over its last `Trial solves' solves has grown by this "
          "factor over the measured one (CG with SSOR, say, whose cost per "
          "unknown grows with the mesh). 0: never for this reason.");
        prm.declare_entry(
          "Remeasure skip factor",
          "1.5",
          Patterns::Double(0.),
          "In a measurement after the first, the kept hook solves the first "
          "trial system first, and a candidate whose time predicted from its "
          "own last two measurements (a power law in the number of unknowns; "
          "one measured fewer times always runs) exceeds this factor times "
          "the kept hook's time is not run in this measurement (CG with SSOR "
          "on a large mesh, say): measurements of growing systems cost less. "
          "A candidate left out once runs in the next measurement. 0: every "
          "candidate runs; below 1 even candidates predicted faster are left "
          "out (for tests).");
      }


      void
      parse_parameters(ParameterHandler &prm) override
      {
        const std::string list = prm.get("Candidates");
        trial_solves           = prm.get_integer("Trial solves");
        size_factor            = prm.get_double("Remeasure size factor");
        cost_factor            = prm.get_double("Remeasure cost factor");
        skip_factor            = prm.get_double("Remeasure skip factor");
        AssertThrow(size_factor == 0. || size_factor > 1.,
                    ExcMessage("Linear solver/auto: 'Remeasure size factor' "
                               "must be 0 (never) or above 1, not " +
                               std::to_string(size_factor) + "."));
        AssertThrow(cost_factor == 0. || cost_factor > 1.,
                    ExcMessage("Linear solver/auto: 'Remeasure cost factor' "
                               "must be 0 (never) or above 1, not " +
                               std::to_string(cost_factor) + "."));

        candidates.clear();
        const auto items = Utilities::split_string_list(list);
        const auto parsed =
          LinearSolver::parse_method_list(list, SolverSettings(), "auto");
        for (unsigned int i = 0; i < parsed.size(); ++i)
          {
            AssertThrow(parsed[i].method != "auto",
                        ExcMessage("Linear solver/auto/Candidates: `auto' "
                                   "cannot be a candidate of itself; list "
                                   "the hooks to choose from."));
            for (const auto &c : candidates)
              AssertThrow(c.label != items[i],
                          ExcMessage("Linear solver/auto/Candidates: '" +
                                     items[i] + "' is listed twice."));
            Candidate c;
            c.label          = items[i];
            c.method         = parsed[i].method;
            c.preconditioner = items[i].find(':') != std::string::npos ?
                                 parsed[i].preconditioner :
                                 std::string();
            candidates.push_back(std::move(c));
          }

        // Each candidate reads its own subsection of `Linear solver': from
        // the level at which `Linear solver' was entered to create `auto'.
        prm.leave_subsection();
        prm.leave_subsection();
        try
          {
            for (auto &c : candidates)
              c.hook = Registry<SolverHook>::instance().create_configured(
                c.method, prm, "Linear solver");
          }
        catch (...)
          {
            prm.enter_subsection("Linear solver");
            prm.enter_subsection("auto");
            throw;
          }
        prm.enter_subsection("Linear solver");
        prm.enter_subsection("auto");
      }


      SolverReport
      solve(const SparseMatrix<double> &A,
            Vector<double>             &x,
            const Vector<double>       &b) override
      {
        // Each rank solves a system of its own and decides alone.
        return solve_with(A, x, b, MPI_COMM_SELF);
      }


      SolverReport
      solve(const TrilinosWrappers::SparseMatrix &A,
            TrilinosWrappers::MPI::Vector        &x,
            const TrilinosWrappers::MPI::Vector  &b) override
      {
        return solve_with(A, x, b, A.get_mpi_communicator());
      }

    private:
      struct Candidate
      {
        std::string                 label, method, preconditioner;
        std::unique_ptr<SolverHook> hook;
        /** Wall seconds of the current measurement's trial solves. */
        std::vector<double> trial_seconds;
        /** Mean seconds per solve at the last measurement (inf: failed). */
        double seconds = 0;
        /** (unknowns, mean seconds per solve) of its measurements. */
        std::vector<std::pair<double, double>> history;
        /** Not run in the current measurement: its predicted time (s). */
        double predicted = 0;
        /** Not run in the previous measurement (then it runs in this one,
         *  so that old measurements do not keep it out for good). */
        bool predicted_out_last = false;
        /** Why it failed in its latest solve, if it did. */
        std::string        failure;
        std::exception_ptr exception;
        bool        excluded = false;
        /** Skipped on the later trial systems of the current measurement
         *  (over ten times the fastest on the first). */
        bool skipped = false;
      };


      SolverSettings
      settings_of(const Candidate &c) const
      {
        SolverSettings s = settings;
        s.method         = c.method;
        if (!c.preconditioner.empty())
          s.preconditioner = c.preconditioner;
        s.record_directory.clear();
        return s;
      }


      /** Runs @p c on the system and returns its wall time (the largest
       *  over the ranks of @p comm), failed or not; a failure (shared by all
       *  ranks: one on some ranks only ends the job) is kept in c.exception
       *  and c.failure. */
      template <typename MatrixType, typename VectorType>
      double
      timed_solve(Candidate        &c,
                  const MatrixType &A,
                  VectorType       &x,
                  const VectorType &b,
                  const MPI_Comm    comm)
      {
        c.hook->set_settings(settings_of(c));
        if (has_structure)
          c.hook->set_structure(structure);
        const auto start = std::chrono::steady_clock::now();
        c.failure.clear();
        c.exception = nullptr;
        try
          {
            if (comm == MPI_COMM_SELF || !mpi_is_running())
              c.hook->solve(A, x, b);
            else
              abort_on_lone_failure(comm,
                                    "Linear solver 'auto', candidate '" +
                                      c.label + "'",
                                    [&]() { c.hook->solve(A, x, b); });
          }
        catch (const ExceptionBase &e)
          {
            std::ostringstream what;
            e.print_info(what);
            c.failure   = Utilities::trim(what.str());
            c.exception = std::current_exception();
          }
        catch (const std::exception &e)
          {
            c.failure   = e.what();
            c.exception = std::current_exception();
          }
        catch (...)
          {
            c.failure   = "an exception of a type other than std::exception";
            c.exception = std::current_exception();
          }
        if (c.exception != nullptr && c.failure.empty())
          c.failure = "an exception without a message";
        double seconds = std::chrono::duration<double>(
                           std::chrono::steady_clock::now() - start)
                           .count();
        if (comm != MPI_COMM_SELF && mpi_is_running())
          seconds = Utilities::MPI::max(seconds, comm);
        return seconds;
      }


      void
      start_measurement(const std::string &why)
      {
        trials_left = trial_solves;
        trials_done = 0;
        reason      = why;
        for (auto &c : candidates)
          {
            c.trial_seconds.clear();
            c.excluded           = false;
            c.skipped            = false;
            c.predicted_out_last = c.predicted > 0.;
            c.predicted          = 0;
          }
      }


      /** @p c's time on @p n unknowns predicted from its last two
       *  measurements (a power law, exponent in [0, 3]); 0 (unknown, so it
       *  runs) with fewer: from one point the growth is unknown (CG with
       *  SSOR grows faster than linearly, ML's fixed costs slower). */
      static double
      predicted_seconds(const Candidate &c, const double n)
      {
        if (c.history.size() < 2)
          return 0.;
        const auto [n0, t0] = c.history[c.history.size() - 2];
        const auto [n1, t1] = c.history.back();
        if (n0 == n1 || t0 <= 0. || t1 <= 0.)
          return 0.;
        const double exponent =
          std::clamp(std::log(t1 / t0) / std::log(n1 / n0), 0., 3.);
        return t1 * std::pow(n / n1, exponent);
      }


      /** One trial system: every candidate solves it from @p x's initial
       *  guess; @p x gets the fastest converged one's solution. @p kept_failed,
       *  if not null, is the kept hook that just failed on this system (it
       *  is not run again). */
      template <typename MatrixType, typename VectorType>
      void
      trial(const MatrixType &A,
            VectorType       &x,
            const VectorType &b,
            const MPI_Comm    comm,
            double           &other_seconds,
            const Candidate  *kept_failed)
      {
        const VectorType x0(x);
        VectorType       candidate_x(x);
        const bool       first_trial   = trials_done == 0;
        double           fastest_first = std::numeric_limits<double>::infinity();
        if (!first_trial)
          for (const auto &c : candidates)
            if (!c.excluded && !c.trial_seconds.empty())
              fastest_first = std::min(fastest_first, c.trial_seconds[0]);

        int                      best = -1;
        double                   best_seconds = 0;
        double                   total        = 0;
        std::vector<Candidate *> failed;
        // A measurement after the first: the kept hook first, and the
        // others only if their predicted time is within `Remeasure skip
        // factor` of its time on this system.
        const bool predict = first_trial && skip_factor > 0. && kept >= 0 &&
                             kept_failed == nullptr &&
                             !candidates[kept].excluded;
        std::vector<unsigned int> order;
        if (predict)
          order.push_back(kept);
        for (unsigned int i = 0; i < candidates.size(); ++i)
          if (!predict || static_cast<int>(i) != kept)
            order.push_back(i);
        double kept_seconds = std::numeric_limits<double>::infinity();
        // Pass 0: the candidates in the running; pass 1, only if none of
        // them converged: those skipped as too slow.
        for (unsigned int pass = 0; pass < 2 && best < 0; ++pass)
          for (const unsigned int i : order)
            {
              Candidate &c = candidates[i];
              if (c.excluded)
                continue;
              if (pass == 0 && !first_trial &&
                  (c.trial_seconds.empty() ||
                   c.trial_seconds[0] > 10. * fastest_first))
                {
                  c.skipped = true;
                  continue;
                }
              if (pass == 0 && predict && static_cast<int>(i) != kept &&
                  !c.predicted_out_last && std::isfinite(kept_seconds))
                {
                  const double p = predicted_seconds(c, double(b.size()));
                  if (p > skip_factor * kept_seconds)
                    {
                      c.skipped   = true;
                      c.predicted = p;
                      continue;
                    }
                }
              if (pass == 1 && !c.skipped)
                continue;
              // It runs after all.
              c.predicted = 0.;
              c.skipped   = false;
              candidate_x    = x0;
              const double t = timed_solve(c, A, candidate_x, b, comm);
              total += t;
              if (c.exception != nullptr)
                {
                  c.excluded = true;
                  failed.push_back(&c);
                  continue;
                }
              c.trial_seconds.push_back(t);
              if (predict && static_cast<int>(i) == kept)
                kept_seconds = t;
              if (best < 0 || t < best_seconds)
                {
                  best         = i;
                  best_seconds = t;
                  x            = candidate_x;
                }
            }
        ++trials_done;
        if (best < 0)
          {
            trials_left = 0;
            other_seconds += total;
            const Candidate *last =
              failed.empty() ? kept_failed : failed.back();
            if (last != nullptr)
              {
                report                = last->hook->last_report();
                report.method         = "auto";
                report.preconditioner = last->label;
                report.converged      = false;
              }
            // One candidate failed on this system: its own error (a
            // NoConvergence stays one, for hosts that catch it).
            if (failed.size() + (kept_failed != nullptr ? 1 : 0) == 1)
              std::rethrow_exception(last->exception);
            std::string failures;
            if (kept_failed != nullptr)
              failures += "\n  " + kept_failed->label + ": " +
                          kept_failed->failure;
            for (const Candidate *c : failed)
              failures += "\n  " + c->label + ": " + c->failure;
            AssertThrow(false,
                        ExcMessage(
                          "Linear solver 'auto': none of the candidates (" +
                          candidates_text() + ") solved the system of " +
                          std::to_string(b.size()) + " unknowns:" +
                          failures +
                          "\nAdd a stronger candidate to "
                          "'Linear solver/auto/Candidates', or correct the "
                          "one that failed."));
          }
        report                = candidates[best].hook->last_report();
        report.preconditioner = candidates[best].label;
        other_seconds += total - best_seconds;
      }


      std::string
      candidates_text() const
      {
        std::vector<std::string> labels;
        for (const auto &c : candidates)
          labels.push_back(c.label);
        return join(labels, ", ");
      }


      /** Ends a measurement: keeps the fastest candidate, and the note. */
      void
      finish_measurement(const types::global_dof_index n)
      {
        std::ostringstream note;
        note << "auto measured " << candidates_text() << " on "
             << trial_solves << (trial_solves == 1 ? " system" : " systems")
             << " of " << n << " unknowns (" << reason
             << "), mean wall time per solve:";
        kept = -1;
        for (unsigned int i = 0; i < candidates.size(); ++i)
          {
            Candidate &c = candidates[i];
            double     sum   = 0;
            unsigned   count = 0;
            for (const double t : c.trial_seconds)
              {
                sum += t;
                ++count;
              }
            c.seconds = (count == 0 || c.excluded) ?
                          std::numeric_limits<double>::infinity() :
                          sum / count;
            note << (i == 0 ? " " : ", ") << c.label << ' ';
            if (c.excluded)
              note << "failed";
            else if (c.predicted > 0.)
              note << "not run (predicted " << seconds_text(c.predicted)
                   << ", over " << skip_factor << "x the kept one's)";
            else
              note << seconds_text(c.seconds)
                   << (c.skipped ? " (first system only: over 10x the "
                                   "fastest)" :
                                   "");
            if (std::isfinite(c.seconds))
              c.history.emplace_back(double(n), c.seconds);
            if (std::isfinite(c.seconds) &&
                (kept < 0 || c.seconds < candidates[kept].seconds))
              kept = i;
          }
        // A measurement ends only after a trial system that some candidate
        // solved.
        Assert(kept >= 0, ExcInternalError());
        note << "; keeps " << candidates[kept].label << '.';
        notes.push_back(note.str());
        measured_size     = n;
        measured_per_unit = candidates[kept].seconds / n;
        recent.clear();
      }


      template <typename MatrixType, typename VectorType>
      SolverReport
      solve_with(const MatrixType &A,
                 VectorType       &x,
                 const VectorType &b,
                 const MPI_Comm    comm)
      {
        notes.clear();
        const types::global_dof_index n     = b.size();
        double                        other_seconds = 0;

        if (trials_left == 0)
          {
            std::ostringstream why;
            if (kept < 0)
              why << "the first systems";
            else if (size_factor > 0. &&
                     (n >= size_factor * measured_size ||
                      size_factor * n <= measured_size))
              why << "the size changed from " << measured_size << " to " << n
                  << " unknowns";
            else if (cost_factor > 0. && recent.size() >= trial_solves &&
                     std::accumulate(recent.begin(), recent.end(), 0.) /
                         recent.size() >
                       cost_factor * measured_per_unit)
              why << candidates[kept].label
                  << "'s time per solve and unknown grew "
                  << std::setprecision(2)
                  << std::accumulate(recent.begin(), recent.end(), 0.) /
                       recent.size() / measured_per_unit
                  << "-fold";
            if (!why.str().empty())
              {
                // The candidates that need MPI start it here, not inside
                // one candidate's time.
                ensure_mpi_initialized();
                start_measurement(why.str());
              }
          }

        const Candidate *kept_failed = nullptr;
        if (trials_left == 0)
          {
            // The kept hook alone; a measurement on this same system, without
            // it, if it fails.
            Candidate       &c = candidates[kept];
            const VectorType x0(x);
            const double     t = timed_solve(c, A, x, b, comm);
            if (c.exception == nullptr)
              {
                report                = c.hook->last_report();
                report.preconditioner = c.label;
                recent.push_back(t / n);
                while (recent.size() > trial_solves)
                  recent.pop_front();
              }
            else
              {
                other_seconds += t;
                x = x0;
                start_measurement(c.label + " did not solve this system");
                c.excluded = true;
                kept_failed = &c;
              }
          }

        if (trials_left > 0)
          {
            trial(A, x, b, comm, other_seconds, kept_failed);
            --trials_left;
            if (trials_left == 0)
              finish_measurement(n);
          }

        report.method = "auto";
        report.notes.insert(report.notes.end(), notes.begin(), notes.end());
        // Auto's cost is everything it ran: the other candidates' trial
        // solves count as its setup.
        report.setup_seconds += other_seconds;
        report.statistics.emplace_back("auto_trial_seconds", other_seconds);
        report.statistics.emplace_back("auto_measurements",
                                       trials_left == 0 && !notes.empty() ?
                                         1. :
                                         0.);
        for (const auto &c : candidates)
          if (kept >= 0)
            report.details.emplace_back("auto_seconds " + c.label,
                                        std::isfinite(c.seconds) ? c.seconds :
                                                                   -1.);
        return report;
      }

      std::vector<Candidate> candidates;
      unsigned int           trial_solves = 2;
      double                 size_factor  = 4;
      double                 cost_factor  = 2;
      double                 skip_factor  = 1.5;


      /** The kept candidate (-1: none measured yet). */
      int kept = -1;
      /** Trial systems still to solve in the current measurement. */
      unsigned int trials_left = 0;
      std::string  reason;
      /** Unknowns of the last measurement's systems, and the kept hook's
       *  measured seconds per solve and unknown. */
      types::global_dof_index measured_size     = 0;
      double                  measured_per_unit = 0;
      /** The kept hook's seconds per solve and unknown of its latest
       *  solves. */
      std::deque<double> recent;
      /** Trial systems solved in the current measurement. */
      unsigned int             trials_done = 0;
      std::vector<std::string> notes;
    };
  } // namespace
} // namespace dealii_learned


DEALII_LEARNED_REGISTER_SOLVER(
  dealii_learned::AutoSolver,
  "auto",
  "times the hooks in its `Candidates' (by default cg with SSOR, cg with AMG "
  "and dcdm) on the program's first systems and keeps the fastest; measures "
  "again when the system size or the kept hook's cost per unknown changes; "
  "the report says what it chose and why.");
