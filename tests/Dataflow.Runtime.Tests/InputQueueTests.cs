using Dataflow.Runtime.Execution;

namespace Dataflow.Runtime.Tests;

public class InputQueueTests
{
    [Fact]
    public void PutTake_ManyProducersOnRealThreads_DeliverEveryEnvelopeExactlyOnceInProducerOrder()
    {
        for (int round = 0; round < 20; round++)
        {
            var queue = new InputQueue(4, new JobAbort());
            const int producers = 4, perProducer = 2000;
            var threads = Enumerable.Range(0, producers).Select(p => new Thread(() =>
            {
                for (int i = 0; i < perProducer; i++) queue.Put(new Envelope(p, new int[] { i }, 1));
                queue.Put(Envelope.End(p));
            })).ToList();
            threads.ForEach(t => t.Start());
            var last = Enumerable.Repeat(-1, producers).ToArray();
            int ends = 0, received = 0;
            long waited = 0;
            while (ends < producers)
            {
                var e = queue.Take(ref waited);
                if (e.IsEnd) { ends++; continue; }
                int value = ((int[])e.Items!)[0];
                Assert.Equal(last[e.Input] + 1, value);
                last[e.Input] = value;
                received++;
            }
            threads.ForEach(t => t.Join());
            Assert.Equal(producers * perProducer, received);
        }
    }

    [Fact]
    public void Put_BlockedOnFullQueue_IsReleasedByAbort()
    {
        var abort = new JobAbort();
        var queue = new InputQueue(1, abort);
        queue.Put(new Envelope(0, new int[1], 1));
        Exception? error = null;
        var producer = new Thread(() =>
        {
            try { queue.Put(new Envelope(0, new int[1], 1)); }
            catch (Exception e) { error = e; }
        });
        producer.Start();
        Thread.Sleep(50);
        abort.Abort();
        Assert.True(producer.Join(TimeSpan.FromSeconds(5)), "the blocked producer must wake up");
        Assert.IsType<OperationCanceledException>(error);
    }

    [Fact]
    public void Take_BlockedOnEmptyQueue_IsReleasedByAbort()
    {
        var abort = new JobAbort();
        var queue = new InputQueue(4, abort);
        Exception? error = null;
        var consumer = new Thread(() =>
        {
            long w = 0;
            try { queue.Take(ref w); }
            catch (Exception e) { error = e; }
        });
        consumer.Start();
        Thread.Sleep(50);
        abort.Abort();
        Assert.True(consumer.Join(TimeSpan.FromSeconds(5)));
        Assert.IsType<OperationCanceledException>(error);
    }
}
