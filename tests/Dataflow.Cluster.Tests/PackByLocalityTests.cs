using Dataflow.Cluster;
using Dataflow.Runtime.Partitioning;

namespace Dataflow.Cluster.Tests;

/// <summary>Packed placement after a rescale keeps key groups where they are (<see cref="PackedPlacement.PackByLocality"/>).</summary>
public class PackByLocalityTests
{
    private const int MaxP = KeyGroups.DefaultMaxParallelism;

    /// <summary>Key groups that change worker when subtasks on <paramref name="from"/> move to <paramref name="to"/>.</summary>
    private static int Moved(int[] from, int[] to) =>
        Enumerable.Range(0, MaxP).Count(g => from[KeyGroups.SubtaskOf(g, from.Length, MaxP)] != to[KeyGroups.SubtaskOf(g, to.Length, MaxP)]);

    [Fact]
    public void PackByLocality_TwoToThreeWithANewWorker_NewWorkerTakesTheSubtaskSplitBetweenTheOldOnes()
    {
        // Old: subtask 0 on worker 1, subtask 1 on worker 2; worker 3 just joined.
        var hosts = PackedPlacement.PackByLocality(3, [1, 2], [1, 2, 3], slots: 1, MaxP);
        Assert.Equal([1, 3, 2], hosts);
        Assert.True(Moved([1, 2], hosts) < Moved([1, 2], [1, 2, 3]), "fewer key groups move than with subtask s on worker s");
    }

    [Fact]
    public void PackByLocality_ThreeToTwo_KeepsTheWorkersWhoseGroupsStay()
    {
        // New subtask 1 (groups 64..127) has 42 groups on worker 3 and 22 on worker 2: worker 3 keeps it, worker 2 goes.
        Assert.Equal([1, 3], PackedPlacement.PackByLocality(2, [1, 2, 3], [1, 2, 3], slots: 1, MaxP));
    }

    [Fact]
    public void PackByLocality_ScaleOutFromOneWorker_KeepsTheFirstSubtaskThere()
    {
        Assert.Equal([4, 7], PackedPlacement.PackByLocality(2, [4], [4, 7], slots: 1, MaxP));
    }

    [Fact]
    public void PackByLocality_TwoSlotsPerWorker_UsesAsFewWorkersAsTheSlotsAllow()
    {
        // 4 subtasks on workers 1,1,2,2 become 2: one worker (the first of the tie) takes both.
        var hosts = PackedPlacement.PackByLocality(2, [1, 1, 2, 2], [1, 2], slots: 2, MaxP);
        Assert.Single(hosts.Distinct());
        // 2 on one worker become 4 on two: the worker holding them keeps two, a second worker takes two.
        var wider = PackedPlacement.PackByLocality(4, [1, 1], [1, 2], slots: 2, MaxP);
        Assert.Equal(2, wider.Count(h => h == 1));
        Assert.Equal(2, wider.Count(h => h == 2));
    }

    [Theory]
    [InlineData(1, 8, 1)]
    [InlineData(8, 3, 1)]
    [InlineData(3, 5, 2)]
    [InlineData(5, 2, 3)]
    [InlineData(6, 7, 1)]
    public void PackByLocality_AnyChange_PlacesEverySubtaskWithinTheSlotsOnTheFewestWorkers(int from, int to, int slots)
    {
        var workers = Enumerable.Range(1, 8).ToArray();
        var old = Enumerable.Range(0, from).Select(o => workers[o / slots % workers.Length]).ToArray();
        var hosts = PackedPlacement.PackByLocality(to, old, workers, slots, MaxP);
        Assert.Equal(to, hosts.Length);
        Assert.All(hosts, h => Assert.Contains(h, workers));
        Assert.All(hosts.GroupBy(h => h), g => Assert.True(g.Count() <= slots, $"worker {g.Key} has {g.Count()} subtasks"));
        Assert.Equal((to + slots - 1) / slots, hosts.Distinct().Count());
        // For these changes no more key groups move than with the plain packing (subtask s on the (s / slots)-th worker);
        // the greedy choice is not optimal in general.
        var plain = Enumerable.Range(0, to).Select(s => workers[s / slots]).ToArray();
        Assert.True(Moved(old, hosts) <= Moved(old, plain), $"{Moved(old, hosts)} groups move, plain packing {Moved(old, plain)}");
    }

    [Fact]
    public void PackByLocality_RandomOldPlacements_PlacesEverySubtaskWithinTheSlotsOnExactlyTheWorkersNeeded()
    {
        var rng = new Random(11);
        for (int round = 0; round < 500; round++)
        {
            int slots = rng.Next(1, 4);
            var workers = Enumerable.Range(0, rng.Next(1, 9)).Select(_ => rng.Next(1, 40)).Distinct().ToArray();
            int to = rng.Next(1, workers.Length * slots + 1);
            // Old hosts: anywhere, including positions that are no longer among the workers.
            var old = Enumerable.Range(0, rng.Next(1, 17)).Select(_ => rng.Next(3) == 0 ? rng.Next(40, 50) : workers[rng.Next(workers.Length)]).ToArray();
            var hosts = PackedPlacement.PackByLocality(to, old, workers, slots, MaxP);
            string what = $"round {round}: {old.Length} -> {to} on [{string.Join(",", workers)}] x {slots}, old [{string.Join(",", old)}]";
            Assert.True(hosts.Length == to, what);
            Assert.True(hosts.All(h => workers.Contains(h)), what);
            Assert.True(hosts.GroupBy(h => h).All(g => g.Count() <= slots), what);
            Assert.True(hosts.Distinct().Count() == (to + slots - 1) / slots, what);
            // Every process computes the same.
            Assert.Equal(hosts, PackedPlacement.PackByLocality(to, old, workers, slots, MaxP));
        }
    }

    [Fact]
    public void PackByLocality_BadArguments_Throw()
    {
        Assert.Throws<ArgumentOutOfRangeException>(() => PackedPlacement.PackByLocality(2, [1], [1, 2], slots: 0, MaxP));
        Assert.Throws<ArgumentException>(() => PackedPlacement.PackByLocality(2, [1], [1, 1], slots: 1, MaxP));
    }

    [Fact]
    public void PackByLocality_MoreSubtasksThanSlots_Throws()
    {
        Assert.Throws<ArgumentException>(() => PackedPlacement.PackByLocality(5, [1], [1, 2], slots: 2, MaxP));
    }
}
