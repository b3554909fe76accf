namespace Dataflow.Runtime.Iterations;

/// <summary>
/// Thrown into every copy of a cluster program when a worker of a job that checkpoints its iteration was lost: the
/// iteration that took checkpoint <see cref="Superstep"/> in iteration run <see cref="Run"/> goes back to it
/// (docs/checkpoints.md). Anywhere else it ends the program like a failure of the job, with this message.
/// </summary>
public sealed class SuperstepRecoveryException : Exception
{
    /// <summary>Creates the exception.</summary>
    /// <param name="generation">The recovery's number in the job (1, 2, …): every copy goes on in this generation.</param>
    /// <param name="run">The iteration run whose checkpoint holds.</param>
    /// <param name="superstep">The checkpoint's superstep.</param>
    /// <param name="lost">The worker that was lost.</param>
    /// <param name="reason">How it was lost.</param>
    /// <param name="replacement">The worker that takes its place, or empty (the workers left go on).</param>
    public SuperstepRecoveryException(int generation, int run, int superstep, string lost, string reason, string replacement = "")
        : base($"Lost {lost}: {reason}. The job goes back to the checkpoint after superstep {superstep}, which only an iteration that takes checkpoints can do.")
    {
        Generation = generation;
        Run = run;
        Superstep = superstep;
        Lost = lost;
        Reason = reason;
        Replacement = replacement;
    }

    /// <summary>The worker that takes the lost one's place, or empty (the workers left go on).</summary>
    public string Replacement { get; }

    /// <summary>The recovery's number in the job.</summary>
    public int Generation { get; }

    /// <summary>The iteration run (1-based, in the order the program runs iterations) whose checkpoint holds.</summary>
    public int Run { get; }

    /// <summary>The checkpoint's superstep.</summary>
    public int Superstep { get; }

    /// <summary>The worker that was lost.</summary>
    public string Lost { get; }

    /// <summary>How it was lost.</summary>
    public string Reason { get; }
}
