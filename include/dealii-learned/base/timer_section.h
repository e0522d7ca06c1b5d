#pragma once

#include <deal.II/base/timer.h>

#include <exception>
#include <string>

namespace dealii_learned
{
  /**
   * TimerOutput::Scope, except that it leaves its section only on a normal
   * exit. TimerOutput::Scope's destructor synchronises the section's timer
   * over all ranks (an MPI_Allreduce), which hangs a rank that unwinds an
   * exception while the others do not; a section left open by an
   * exception is closed by the TimerOutput itself, or never reported.
   * A null @p timer times nothing.
   */
  class TimerSection
  {
  public:
    TimerSection(dealii::TimerOutput *timer, const std::string &name)
      : timer(timer)
      , name(name)
      , exceptions(std::uncaught_exceptions())
    {
      if (timer != nullptr)
        timer->enter_subsection(name);
    }

    ~TimerSection()
    {
      if (std::uncaught_exceptions() == exceptions)
        stop();
    }

    /**
     * Leaves the section now (once). For a caller that knows all ranks
     * unwind together, e.g. after a failure they agreed on, so that a
     * section entered again later (a retried solve) is not still open.
     */
    void
    stop()
    {
      if (timer != nullptr)
        try
          {
            timer->leave_subsection(name);
          }
        catch (...)
          {}
      timer = nullptr;
    }

    TimerSection(const TimerSection &) = delete;
    TimerSection &
    operator=(const TimerSection &) = delete;

  private:
    dealii::TimerOutput *timer;
    const std::string    name;
    const int            exceptions;
  };
} // namespace dealii_learned
