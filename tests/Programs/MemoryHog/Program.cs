using System.Globalization;
using System.Runtime.InteropServices;
using Dataflow;

// MemoryHog --megabytes N [--delay-ms D] [--native]: one subtask allocates N MiB in 1 MiB pieces
// (touching every page, D ms apart) and keeps them until it ends; --native allocates outside the
// garbage collector's heap, so only the kernel limits it.
int megabytes = 1024, delayMs = 10;
bool native = false;
for (int i = 0; i < args.Length; i++)
{
    switch (args[i])
    {
        case "--megabytes": megabytes = int.Parse(args[++i], CultureInfo.InvariantCulture); break;
        case "--delay-ms": delayMs = int.Parse(args[++i], CultureInfo.InvariantCulture); break;
        case "--native": native = true; break;
        default: throw new ArgumentException($"unknown option '{args[i]}'");
    }
}
var env = DataflowEnvironment.Create(1);
var kept = new List<byte[]>();
var pieces = await env.Generate(megabytes, i => i).Select(i =>
{
    if (native)
    {
        // Copied into, so that every page is touched (resident), not only reserved.
        Marshal.Copy(Ones.Piece, 0, Marshal.AllocHGlobal(1 << 20), 1 << 20);
    }
    else
    {
        var piece = new byte[1 << 20];
        piece.AsSpan().Fill(1);
        lock (kept) kept.Add(piece);
    }
    if (delayMs > 0) Thread.Sleep(delayMs);
    return i;
}).CountAsync();
Console.WriteLine($"allocated {pieces} MiB");
return 0;

internal static class Ones
{
    public static readonly byte[] Piece = Enumerable.Repeat((byte)1, 1 << 20).ToArray();
}
