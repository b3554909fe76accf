using System.Collections.Concurrent;

namespace Dataflow.Runtime.Execution;

/// <summary>
/// Dedicated threads that run subtasks and stay for the next one. An iteration runs a wave of subtasks per superstep;
/// a thread that finished its subtask waits up to <see cref="IdleTimeout"/> for another (the next superstep's), then ends,
/// so the threads of a superstep are those of the one before instead of a dozen new ones started and ended per barrier.
/// </summary>
/// <remarks>
/// A subtask still runs on a thread of its own for as long as it runs (operators block on their input queues, so they
/// cannot share a thread); only the thread's life is longer. Threads are background threads: an idle one never keeps the
/// process alive, and none is idle for longer than <see cref="IdleTimeout"/> after the last job.
/// </remarks>
internal static class SubtaskThreads
{
    /// <summary>How long a thread waits for another subtask before it ends.</summary>
    public static readonly TimeSpan IdleTimeout = TimeSpan.FromSeconds(2);

    private static readonly ConcurrentStack<Worker> Idle = new();

    /// <summary>Runs <paramref name="work"/> (which must not throw) on a waiting thread, or on a new one.</summary>
    /// <param name="name">The thread's name while it runs the work (the subtask's, as profilers show it).</param>
    /// <param name="work">The subtask.</param>
    /// <param name="reusable">False when the work changes its thread for good (a hook that moves it into a cgroup): the thread ends after it.</param>
    public static void Start(string name, Action work, bool reusable = true)
    {
        // The work sees the starter's execution context (its async-locals), as on a thread started for it.
        if (ExecutionContext.Capture() is { } context)
        {
            var inner = work;
            work = () => ExecutionContext.Run(context, static w => ((Action)w!)(), inner);
        }
        if (reusable)
        {
            while (Idle.TryPop(out var w))
            {
                if (w.TryGive(name, work)) return;
            }
        }
        new Worker(name, work, reusable);
    }

    /// <summary>True when the thread <paramref name="managedThreadId"/> waits for a subtask here (tests).</summary>
    internal static bool IsWaiting(int managedThreadId) => Idle.Any(w => w.ThreadId == managedThreadId && w.IsWaiting);

    private sealed class Worker
    {
        private const int Waiting = 0, Given = 1, Ended = 2;
        private readonly SemaphoreSlim _signal = new(0);
        private readonly Thread _thread;
        private int _state = Given;
        private Action? _work;
        private string _name;
        private bool _reusable;

        public Worker(string name, Action work, bool reusable)
        {
            _work = work;
            _name = name;
            _reusable = reusable;
            _thread = new Thread(Loop) { IsBackground = true, Name = name };
            _thread.UnsafeStart(); // the work carries its context (Start)
        }

        public int ThreadId => _thread.ManagedThreadId;

        public bool IsWaiting => Volatile.Read(ref _state) == Waiting;

        /// <summary>Hands <paramref name="work"/> to this waiting thread; false when it has ended meanwhile.</summary>
        public bool TryGive(string name, Action work)
        {
            _work = work;
            _name = name;
            _reusable = true;
            if (Interlocked.CompareExchange(ref _state, Given, Waiting) == Waiting)
            {
                _signal.Release();
                return true;
            }
            _work = null;
            return false;
        }

        private void Loop()
        {
            while (true)
            {
                var work = _work!;
                _work = null;
                if (_thread.Name != _name) _thread.Name = _name;
                work();
                if (!_reusable) return;
                Volatile.Write(ref _state, Waiting);
                Idle.Push(this);
                if (!_signal.Wait(IdleTimeout))
                {
                    if (Interlocked.CompareExchange(ref _state, Ended, Waiting) == Waiting) return;
                    _signal.Wait(); // given work just as the wait ended: its signal is on the way
                }
            }
        }
    }
}
