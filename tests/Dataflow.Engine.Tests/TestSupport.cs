using System.Text;

namespace Dataflow.Engine.Tests;

/// <summary>A record-struct record type used across the tests.</summary>
public readonly record struct Order(int Id, int Customer, long Amount, string Tag);

/// <summary>The other side of joins.</summary>
public readonly record struct Customer(int Id, string Name, int Region);

/// <summary>Shapes of random inputs.</summary>
public enum Shape
{
    /// <summary>No records.</summary>
    Empty,

    /// <summary>A single record.</summary>
    One,

    /// <summary>A few dozen records, fewer than one batch.</summary>
    Small,

    /// <summary>More than five batches of records over many keys.</summary>
    Large,

    /// <summary>Few keys and few values: most records are exact duplicates.</summary>
    Duplicates,

    /// <summary>One hot key holds 80% of the records.</summary>
    Skewed,
}

/// <summary>Seeded random generators of test inputs (no FsCheck; every input is reproducible from its seed).</summary>
internal static class Gen
{
    public const int HotKey = 7;

    public static int SizeOf(Shape shape) => shape switch
    {
        Shape.Empty => 0,
        Shape.One => 1,
        Shape.Small => 57,
        Shape.Large => 12_345,
        Shape.Duplicates => 8_000,
        Shape.Skewed => 9_000,
        _ => throw new ArgumentOutOfRangeException(nameof(shape)),
    };

    public static int Seed(Shape shape, int parallelism, int salt) => 17 + 1000 * salt + 31 * (int)shape + parallelism;

    public static int KeyOf(Random r, Shape shape) => shape switch
    {
        Shape.Duplicates => r.Next(10),
        Shape.Skewed => r.Next(100) < 80 ? HotKey : r.Next(1000),
        Shape.Large => r.Next(3000),
        _ => r.Next(40),
    };

    private static long ValueOf(Random r, Shape shape) => shape == Shape.Duplicates ? r.Next(4) : r.Next(-1000, 1000);

    public static List<(int Key, long Value)> Pairs(Shape shape, int seed)
    {
        var r = new Random(seed);
        int n = SizeOf(shape);
        var list = new List<(int Key, long Value)>(n);
        for (int i = 0; i < n; i++) list.Add((KeyOf(r, shape), ValueOf(r, shape)));
        return list;
    }

    private static readonly string[] Tags = ["a", "b", "ç", "日本", "x,y", "\"q\"", ""];

    public static List<Order> Orders(Shape shape, int seed)
    {
        var r = new Random(seed);
        int n = SizeOf(shape);
        var list = new List<Order>(n);
        for (int i = 0; i < n; i++)
        {
            // With Shape.Duplicates whole records repeat (Id from a tiny range).
            int id = shape == Shape.Duplicates ? r.Next(3) : i;
            list.Add(new Order(id, KeyOf(r, shape), ValueOf(r, shape), Tags[r.Next(shape == Shape.Duplicates ? 2 : Tags.Length)]));
        }
        return list;
    }

    /// <summary>Customers with ids 0..<paramref name="keys"/>-1, each id present 0..<paramref name="maxPerKey"/> times.</summary>
    public static List<Customer> Customers(int seed, int keys = 1200, int maxPerKey = 3)
    {
        var r = new Random(seed);
        var list = new List<Customer>();
        for (int k = 0; k < keys; k++)
        {
            int copies = r.Next(maxPerKey + 1);
            for (int c = 0; c < copies; c++) list.Add(new Customer(k, $"c{k}-{c}", r.Next(5)));
        }
        // Shuffle so equal keys are not adjacent.
        for (int i = list.Count - 1; i > 0; i--)
        {
            int j = r.Next(i + 1);
            (list[i], list[j]) = (list[j], list[i]);
        }
        return list;
    }

    private static readonly string[] Vocabulary =
        ["the", "a", "flow", "data", "Straße", "naïve", "日本語", "😀", "x y", "", "Data", "DATA", "zeta", "alpha", "βeta"];

    public static List<string> Words(Shape shape, int seed)
    {
        var r = new Random(seed);
        int n = SizeOf(shape);
        var list = new List<string>(n);
        for (int i = 0; i < n; i++)
        {
            string w = shape switch
            {
                Shape.Duplicates => Vocabulary[r.Next(5)],
                Shape.Skewed => r.Next(100) < 80 ? "the" : RandomWord(r),
                Shape.Large => r.Next(4) == 0 ? Vocabulary[r.Next(Vocabulary.Length)] : RandomWord(r),
                _ => Vocabulary[r.Next(Vocabulary.Length)],
            };
            list.Add(w);
        }
        return list;
    }

    public static string RandomWord(Random r)
    {
        int len = 1 + r.Next(6);
        var sb = new StringBuilder(len);
        for (int i = 0; i < len; i++) sb.Append((char)('a' + r.Next(6)));
        return sb.ToString();
    }
}

/// <summary>Theory data shared by the equivalence tests.</summary>
public static class Data
{
    public static readonly int[] Parallelisms = [1, 2, 4];

    /// <summary>The name of <see cref="ShapesAndParallelism"/> for [MemberData].</summary>
    public const string Members = nameof(ShapesAndParallelism);

    /// <summary>Every shape at every parallelism.</summary>
    public static TheoryData<Shape, int> ShapesAndParallelism
    {
        get
        {
            var data = new TheoryData<Shape, int>();
            foreach (var shape in Enum.GetValues<Shape>())
            {
                foreach (int p in Parallelisms) data.Add(shape, p);
            }
            return data;
        }
    }

    /// <summary>Parallelism 1, 2 and 4.</summary>
    public static TheoryData<int> Parallelism
    {
        get
        {
            var data = new TheoryData<int>();
            foreach (int p in Parallelisms) data.Add(p);
            return data;
        }
    }
}

/// <summary>Compares collections as multisets (output order of the engine is unspecified).</summary>
internal static class Multiset
{
    private readonly record struct Box<T>(T Value);

    private static Dictionary<Box<T>, int> Counts<T>(IEnumerable<T> items)
    {
        var d = new Dictionary<Box<T>, int>();
        foreach (var x in items)
        {
            var key = new Box<T>(x);
            d[key] = d.GetValueOrDefault(key) + 1;
        }
        return d;
    }

    public static void Equal<T>(IEnumerable<T> expected, IEnumerable<T> actual, string? what = null)
    {
        var e = Counts(expected);
        var a = Counts(actual);
        long ne = e.Values.Sum(c => (long)c), na = a.Values.Sum(c => (long)c);
        var missing = e.Where(kv => a.GetValueOrDefault(kv.Key) < kv.Value)
            .Select(kv => $"{kv.Key.Value} (expected {kv.Value}x, got {a.GetValueOrDefault(kv.Key)}x)").Take(8).ToList();
        var extra = a.Where(kv => e.GetValueOrDefault(kv.Key) < kv.Value)
            .Select(kv => $"{kv.Key.Value} (expected {e.GetValueOrDefault(kv.Key)}x, got {kv.Value}x)").Take(8).ToList();
        if (missing.Count > 0 || extra.Count > 0)
        {
            Assert.Fail($"{what ?? "records"} differ as multisets: expected {ne} records, got {na}.\n" +
                $"  missing: {string.Join("; ", missing)}\n  unexpected: {string.Join("; ", extra)}");
        }
    }
}

/// <summary>A temporary directory deleted at the end of a test.</summary>
internal sealed class TempDir : IDisposable
{
    public TempDir()
    {
        Path = System.IO.Path.Combine(System.IO.Path.GetTempPath(), "dataflow-tests-" + Guid.NewGuid().ToString("N"));
        Directory.CreateDirectory(Path);
    }

    public string Path { get; }

    public string File(string name) => System.IO.Path.Combine(Path, name);

    public string[] ListFileNames() =>
        Directory.GetFiles(Path).Select(f => System.IO.Path.GetFileName(f)!).Order(StringComparer.Ordinal).ToArray();

    public void Dispose()
    {
        try
        {
            Directory.Delete(Path, recursive: true);
        }
        catch (IOException)
        {
        }
    }
}
