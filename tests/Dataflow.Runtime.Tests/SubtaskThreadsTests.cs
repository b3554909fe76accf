using Dataflow.Runtime.Execution;

namespace Dataflow.Runtime.Tests;

/// <summary>Subtask threads stay for the next subtask (an iteration's next superstep) instead of ending with their job.</summary>
public class SubtaskThreadsTests
{
    private static Task<(int ThreadId, string? Name, string? Flowed)> RunOne(string name)
    {
        var done = new TaskCompletionSource<(int, string?, string?)>(TaskCreationOptions.RunContinuationsAsynchronously);
        SubtaskThreads.Start(name, () => done.SetResult((Environment.CurrentManagedThreadId, Thread.CurrentThread.Name, Local.Value)));
        return done.Task;
    }

    private static readonly AsyncLocal<string?> Local = new();

    [Fact]
    public async Task Start_OneSubtaskAfterAnother_RunsOnTheSameThreadUnderEachName()
    {
        var first = await RunOne("first[0]");
        // The thread goes back to waiting just after the work.
        Assert.True(SpinWait.SpinUntil(() => SubtaskThreads.IsWaiting(first.ThreadId), TimeSpan.FromSeconds(30)));
        var second = await RunOne("second[1]");
        Assert.Equal("first[0]", first.Name);
        Assert.Equal("second[1]", second.Name);
        Assert.Equal(first.ThreadId, second.ThreadId);
    }

    [Fact]
    public async Task Start_WorkNotReusable_ThreadEndsAfterIt()
    {
        // A hook that moved the thread into a cgroup must not slow down another job's subtask later.
        var ran = new TaskCompletionSource<Thread>(TaskCreationOptions.RunContinuationsAsynchronously);
        SubtaskThreads.Start("pinned[0]", () => ran.SetResult(Thread.CurrentThread), reusable: false);
        var thread = await ran.Task;
        Assert.True(thread.Join(TimeSpan.FromSeconds(30)));
    }

    [Fact]
    public async Task Start_OnAReusedThread_WorkSeesTheStartersAsyncLocals()
    {
        Local.Value = "outer";
        var warm = await RunOne("warm[0]"); // leaves a waiting thread that was started under "outer"
        Assert.True(SpinWait.SpinUntil(() => SubtaskThreads.IsWaiting(warm.ThreadId), TimeSpan.FromSeconds(30)));
        string? seen = await Task.Run(async () =>
        {
            Local.Value = "inner";
            return (await RunOne("flow[0]")).Flowed;
        });
        Assert.Equal("inner", seen);
    }

    [Fact]
    public void Start_ManyAtOnce_EveryWorkRunsOnItsOwnThread()
    {
        // Subtasks block on each other's queues: two of them must never share a thread while both run.
        const int n = 16;
        using var barrier = new Barrier(n);
        var ids = new int[n];
        var done = new CountdownEvent(n);
        for (int i = 0; i < n; i++)
        {
            int k = i;
            SubtaskThreads.Start($"t[{k}]", () =>
            {
                ids[k] = Environment.CurrentManagedThreadId;
                barrier.SignalAndWait(); // returns only when all n run at the same time
                done.Signal();
            });
        }
        done.Wait();
        Assert.Equal(n, ids.Distinct().Count());
    }
}
