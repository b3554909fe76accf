using Dataflow.Operators.Core;
using Dataflow.Runtime.Records;

namespace Dataflow.Operators.Join;

/// <summary>
/// Base of two-input operators that must see all of one input (the build side) before they can
/// process the other (the probe side): hash joins, crosses and broadcast sets. Probe batches that
/// arrive early are copied aside and replayed once the build side has ended; the subtask keeps
/// draining its queue, so the shared upstream of both sides never deadlocks.
/// </summary>
public abstract class BuildProbeOperator<TProbe, TBuild, TOut>
{
    private List<TProbe>? _stash;
    private bool _probeEnded;

    /// <summary>Creates the operator.</summary>
    protected BuildProbeOperator(Collector<TOut> downstream, OperatorInfo info)
    {
        Downstream = downstream;
        Info = info;
        // Inside an iteration the list the last superstep grew is refilled (it is emptied after every replay).
        _stash = info.Scratch?.Keep(static () => new List<TProbe>(), out _) ?? new List<TProbe>();
        _stash.Clear();
        Probe = new ProbeInput(this);
        Build = new BuildInput(this);
    }

    /// <summary>Where results go.</summary>
    protected Collector<TOut> Downstream { get; }

    /// <summary>Name and subtask.</summary>
    protected OperatorInfo Info { get; }

    /// <summary>The probe (streamed) input.</summary>
    public Collector<TProbe> Probe { get; }

    /// <summary>The build (blocking) input.</summary>
    public Collector<TBuild> Build { get; }

    /// <summary>Adds build records.</summary>
    protected abstract void OnBuild(ReadOnlySpan<TBuild> batch);

    /// <summary>The build side is complete.</summary>
    protected virtual void OnBuildEnd()
    {
    }

    /// <summary>Processes probe records (only after the build side ended).</summary>
    protected abstract void OnProbe(ReadOnlySpan<TProbe> batch);

    /// <summary>Both inputs ended: flush and close downstream.</summary>
    protected abstract void OnEnd();

    private sealed class BuildInput(BuildProbeOperator<TProbe, TBuild, TOut> op) : Collector<TBuild>
    {
        public override void Push(ReadOnlySpan<TBuild> batch) => op.OnBuild(batch);

        public override void Close()
        {
            op.OnBuildEnd();
            var stash = op._stash!;
            op._stash = null;
            if (stash.Count > 0) op.OnProbe(System.Runtime.InteropServices.CollectionsMarshal.AsSpan(stash));
            stash.Clear();
            if (op._probeEnded) op.OnEnd();
        }
    }

    private sealed class ProbeInput(BuildProbeOperator<TProbe, TBuild, TOut> op) : Collector<TProbe>
    {
        public override void Push(ReadOnlySpan<TProbe> batch)
        {
            if (op._stash is { } stash) stash.AddRange(batch);
            else op.OnProbe(batch);
        }

        public override void Close()
        {
            op._probeEnded = true;
            if (op._stash is null) op.OnEnd();
        }
    }
}
