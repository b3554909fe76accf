using System.Diagnostics;
using Dataflow.Runtime.Exchange;
using Dataflow.Runtime.Statistics;

namespace Dataflow.Runtime.Execution;

/// <summary>
/// Runs a job graph in this process: every subtask on a dedicated thread (kept for later jobs'
/// subtasks, <see cref="SubtaskThreads"/>), connected by bounded queues. The first failure aborts the job: every thread is woken and joined before the returned
/// task completes, so nothing keeps running after a failed or cancelled job.
/// </summary>
public sealed class LocalExecutor
{
    private readonly ExecutionOptions _options;

    /// <summary>Creates an executor with <paramref name="options"/>.</summary>
    public LocalExecutor(ExecutionOptions options)
    {
        options.Validate();
        _options = options;
    }

    /// <summary>Runs <paramref name="graph"/> to completion.</summary>
    /// <exception cref="JobExecutionException">A subtask failed; the inner exception is the cause.</exception>
    /// <exception cref="OperationCanceledException"><paramref name="cancellationToken"/> was cancelled.</exception>
    public Task<JobExecutionResult> ExecuteAsync(JobGraph graph, CancellationToken cancellationToken = default) =>
        ExecuteAsync(graph, null, null, cancellationToken);

    /// <summary>
    /// Runs this process's part of <paramref name="graph"/>: the subtasks <paramref name="site"/> places
    /// here, exchanging with the others over its network channels (all of them when it is null).
    /// </summary>
    /// <param name="graph">The job.</param>
    /// <param name="site">Where the other subtasks run, or null when all run here.</param>
    /// <param name="subtaskDone">
    /// Called on a subtask's thread when it has finished its part without failing, with its statistics,
    /// before the returned task completes (an iteration's heads report done this way).
    /// </param>
    /// <param name="cancellationToken">Cancels the job.</param>
    /// <exception cref="JobExecutionException">A subtask failed; the inner exception is the cause.</exception>
    /// <exception cref="OperationCanceledException"><paramref name="cancellationToken"/> was cancelled.</exception>
    public Task<JobExecutionResult> ExecuteAsync(JobGraph graph, ExecutionSite? site, Action<TaskStatistics>? subtaskDone, CancellationToken cancellationToken = default)
    {
        cancellationToken.ThrowIfCancellationRequested();
        var run = new Run(graph, _options, site, subtaskDone, cancellationToken);
        return run.StartAsync();
    }

    private sealed class Run
    {
        private readonly JobGraph _graph;
        private readonly ExecutionOptions _options;
        private readonly CancellationToken _token;
        private readonly ExecutionSite? _site;
        private readonly Action<TaskStatistics>? _subtaskDone;
        private readonly JobAbort _abort = new();
        private readonly Dictionary<JobVertex, InputQueue?[]> _queues = new();
        private readonly List<(JobVertex Vertex, int Subtask, SubtaskMetrics Metrics)> _subtasks = new();
        private readonly TaskCompletionSource<JobExecutionResult> _done = new(TaskCreationOptions.RunContinuationsAsynchronously);
        private Exception? _failure;
        private int _running;
        private long _startTicks;
        private CancellationTokenRegistration _registration;

        public Run(JobGraph graph, ExecutionOptions options, ExecutionSite? site, Action<TaskStatistics>? subtaskDone, CancellationToken token)
        {
            _graph = graph;
            _options = options;
            _site = site;
            _subtaskDone = subtaskDone;
            _token = token;
        }

        private bool IsLocal(JobVertex v, int subtask) => _site is null || _site.IsLocal(v, subtask);

        public async Task<JobExecutionResult> StartAsync()
        {
            if (_site is not null) await _site.PrepareAsync(_graph, _token).ConfigureAwait(false);
            foreach (var v in _graph.Vertices)
            {
                if (v.Inputs.Count == 0) continue;
                int producers = v.Inputs.Sum(e => e.Source.Parallelism);
                int capacity = Math.Max(16, producers * _options.QueueBatchesPerProducer);
                var qs = new InputQueue?[v.Parallelism];
                for (int i = 0; i < qs.Length; i++)
                {
                    if (IsLocal(v, i)) qs[i] = new InputQueue(capacity, _abort);
                }
                _queues[v] = qs;
            }
            _site?.Attach(_queues, _abort);
            var work = new List<(string Name, Action Run)>();
            foreach (var v in _graph.Vertices)
            {
                for (int s = 0; s < v.Parallelism; s++)
                {
                    if (!IsLocal(v, s)) continue;
                    var metrics = new SubtaskMetrics();
                    _subtasks.Add((v, s, metrics));
                    var vertex = v;
                    int subtask = s;
                    work.Add(($"{Truncate(v.Name)}[{s}]", () => RunSubtask(vertex, subtask, metrics)));
                }
            }
            _running = work.Count;
            _startTicks = Stopwatch.GetTimestamp();
            _registration = _token.Register(static o => ((JobAbort)o!).Abort(), _abort);
            if (work.Count == 0) Finish();
            // Each subtask on a thread of its own, kept for the next job's subtasks (the next superstep's): see SubtaskThreads.
            bool reusable = _options.OnSubtaskThreadStart is null;
            foreach (var (name, run) in work) SubtaskThreads.Start(name, run, reusable);
            return await _done.Task.ConfigureAwait(false);
        }

        private static string Truncate(string s) => s.Length <= 40 ? s : s[..40];

        private void RunSubtask(JobVertex vertex, int subtask, SubtaskMetrics metrics)
        {
            // User functions parse and format the same way on every worker, whatever its locale
            // (double.Parse("1.5") is 15 under de-DE).
            Thread.CurrentThread.CurrentCulture = System.Globalization.CultureInfo.InvariantCulture;
            Thread.CurrentThread.CurrentUICulture = System.Globalization.CultureInfo.InvariantCulture;
            _options.OnSubtaskThreadStart?.Invoke(subtask);
            long t0 = Stopwatch.GetTimestamp();
            long cpu0 = ThreadCpu.NowNanos();
            long alloc0 = GC.GetAllocatedBytesForCurrentThread();
            bool done = false;
            try
            {
                var outputs = new object[vertex.Outputs.Count];
                for (int i = 0; i < outputs.Length; i++)
                {
                    var e = vertex.Outputs[i];
                    outputs[i] = e.CreateOutput(new ExchangeTargets(TargetsOf(e, subtask, metrics), e.TargetInput, subtask,
                        _options.BatchSize, metrics, _options.MaxParallelism));
                }
                var ctx = new SubtaskContext(vertex, subtask, outputs, metrics, _abort, _options.BatchSize, _options.MaxParallelism);
                var body = vertex.CreateBody(ctx);
                if (body.IsSource)
                {
                    body.Run();
                }
                else
                {
                    Consume(vertex, body, _queues[vertex][subtask]!, metrics);
                }
                _abort.ThrowIfAborted();
                body.Close();
                done = true;
            }
            catch (Exception ex)
            {
                Fail(vertex, subtask, ex);
            }
            finally
            {
                metrics.WallTicks = Stopwatch.GetTimestamp() - t0;
                metrics.CpuNanos = ThreadCpu.NowNanos() - cpu0;
                metrics.AllocatedBytes = GC.GetAllocatedBytesForCurrentThread() - alloc0;
                if (done) Report(vertex, subtask, metrics);
                if (Interlocked.Decrement(ref _running) == 0) Finish();
            }
        }

        private void Report(JobVertex vertex, int subtask, SubtaskMetrics metrics)
        {
            if (_subtaskDone is null) return;
            try
            {
                _subtaskDone(TaskStatistics.From(vertex.Name, subtask, metrics));
            }
            catch (Exception ex)
            {
                Fail(vertex, subtask, ex);
            }
        }

        private BatchTarget[] TargetsOf(JobEdge e, int producer, SubtaskMetrics metrics)
        {
            var local = _queues[e.Target];
            var targets = new BatchTarget[local.Length];
            for (int c = 0; c < targets.Length; c++)
            {
                targets[c] = local[c] ?? _site!.Connect(e, producer, c, _abort, metrics);
            }
            return targets;
        }

        private static void Consume(JobVertex vertex, SubtaskBody body, InputQueue queue, SubtaskMetrics metrics)
        {
            int inputs = vertex.Inputs.Count;
            var remaining = new int[inputs];
            for (int i = 0; i < inputs; i++) remaining[i] = vertex.Inputs[i].Source.Parallelism;
            int open = inputs;
            while (open > 0)
            {
                var e = queue.Take(ref metrics.InputWaitTicks);
                if (e.IsEnd)
                {
                    if (--remaining[e.Input] == 0)
                    {
                        open--;
                        body.OnInputEnd(e.Input);
                    }
                }
                else
                {
                    metrics.RecordsIn += e.Count;
                    metrics.BytesIn += e.Bytes;
                    body.OnBatch(e.Input, e.Items!, e.Count);
                    e.Credit?.Return();
                }
            }
        }

        private void Fail(JobVertex vertex, int subtask, Exception ex)
        {
            // Secondary failures (threads woken by the abort) are not the cause; keep the first real one.
            if (ex is OperationCanceledException && _abort.IsAborted) return;
            Exception wrapped = ex switch
            {
                UserCodeException u => new JobExecutionException(
                    $"Job failed: {u.OperatorName} (subtask {u.Subtask} of {vertex.Parallelism}) threw {u.InnerException!.GetType().Name}: {u.InnerException.Message}",
                    u.OperatorName, u.Subtask, u.InnerException),
                _ => new JobExecutionException(
                    $"Job failed: {vertex.Name} (subtask {subtask} of {vertex.Parallelism}): {ex.Message}",
                    vertex.Name, subtask, ex),
            };
            Interlocked.CompareExchange(ref _failure, wrapped, null);
            _abort.Abort();
        }

        private void Finish()
        {
            _registration.Dispose();
            _site?.Detach(_abort.IsAborted);
            var duration = Stopwatch.GetElapsedTime(_startTicks);
            if (_abort.IsAborted)
            {
                foreach (var qs in _queues.Values)
                {
                    foreach (var q in qs) q?.Drain();
                }
            }
            if (_failure is not null)
            {
                _done.TrySetException(_failure);
            }
            else if (_abort.IsAborted)
            {
                _done.TrySetCanceled(_token);
            }
            else
            {
                var stats = _subtasks.Select(s => TaskStatistics.From(s.Vertex.Name, s.Subtask, s.Metrics)).ToList();
                _done.TrySetResult(new JobExecutionResult(duration, stats));
            }
        }
    }
}
