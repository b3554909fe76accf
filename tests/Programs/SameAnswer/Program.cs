using System.Globalization;
using Dataflow;
using Dataflow.Tests.SameAnswer;

// Groups, joins, co-groups and de-duplicates seeded random rows by keys of many kinds (record
// struct, record class, tuple, nested record, enum and nullable members, dates, decimals, GUIDs),
// and writes each result as text files under --output. The cluster tests run it embedded at
// several parallelisms and on worker processes and compare the files exactly.
var options = Options.Parse(args);
// --local: an embedded environment on purpose (the launcher refuses it: a test checks that).
var env = options.Local ? DataflowEnvironment.CreateLocal(options.Parallelism) : DataflowEnvironment.Create(options.Parallelism);
Directory.CreateDirectory(options.Output);

var rows = env.Generate(options.Rows, i => Row.Make(options.Seed, i));
var others = env.Generate(options.Rows / 3, i => Row.Make(options.Seed + 1, i));

// The program: 120 000 rows, 6 979 keys.
var users = env.Generate(120_000, i => (Name: "user" + (i % 997), Part: (int)(i % 7), V: i));
await users.GroupBy(r => new SKey(r.Name, r.Part)).Count().Select(g => $"{g.Key}\t{g.Count}").WriteTextAsync(Out("users-struct"));
await users.GroupBy(r => new CKey(r.Name, r.Part)).Count().Select(g => $"{g.Key}\t{g.Count}").WriteTextAsync(Out("users-class"));
await users.Select(r => new SKey(r.Name, r.Part)).Join(users.Where(r => r.V % 5 == 0), k => k, r => new SKey(r.Name, r.Part), (k, r) => k)
    .GroupBy(k => k).Count().Select(g => $"{g.Key}\t{g.Count}").WriteTextAsync(Out("users-join"));

await Keyed("struct", r => new SKey(r.Name, r.Part));
await Keyed("class", r => new CKey(r.Name, r.Part));
await Keyed("tuple", r => (r.Name, r.Level, r.Part));
await Keyed("nested", r => new Nested(new CKey(r.Name, r.Part % 2), r.Level));
await Keyed("nullable", r => new WithNullable(r.Maybe, r.Part == 0 && r.Level == Level.Low ? null : r.Name));
await Keyed("dates", r => new WithDates(r.When, r.Amount, r.Id));
await Keyed("string", r => r.Name);
return 0;

string Out(string name) => Path.Combine(options.Output, name + ".txt");

async Task Keyed<TKey>(string name, Func<Row, TKey> key)
{
    await rows.GroupBy(key).Aggregate<(long Count, long Sum), (TKey Key, long Count, long Sum)>(
            r => (1, r.V), (a, r) => (a.Count + 1, a.Sum + r.V), (a, b) => (a.Count + b.Count, a.Sum + b.Sum), (k, a) => (k, a.Count, a.Sum))
        .Select(g => $"{g.Key}\t{g.Count}\t{g.Sum}").WriteTextAsync(Out(name + "-group"));
    await rows.Join(others, key, key, (a, b) => $"{key(a)}\t{a.V}\t{b.V}").WriteTextAsync(Out(name + "-join"));
    await rows.CoGroup(others, key, key, (k, a, b) => new[] { $"{k}\t{a.Count}\t{b.Count}\t{a.Sum(r => r.V)}\t{b.Sum(r => r.V)}" })
        .WriteTextAsync(Out(name + "-cogroup"));
    await rows.Select(key).Distinct().Select(k => $"{k}").WriteTextAsync(Out(name + "-distinct"));
}

namespace Dataflow.Tests.SameAnswer
{
    public enum Level
    {
        Low,
        Middle,
        High,
    }

    public readonly record struct SKey(string Name, int Part);

    public sealed record CKey(string Name, int Part);

    public sealed record Nested(CKey Inner, Level Level);

    public readonly record struct WithNullable(int? Maybe, string? Text);

    public sealed record WithDates(DateTime When, decimal Amount, Guid Id)
    {
        // Equal keys may differ in what equality ignores (a DateTime's kind, a decimal's scale), and
        // which of them a group keeps is not specified: print what equality compares.
        public override string ToString() => $"{When.Ticks}|{Amount / 1.0000000000000000000000000000m}|{Id}";
    }

    public readonly record struct Row(string Name, int Part, Level Level, int? Maybe, DateTime When, decimal Amount, Guid Id, long V)
    {
        private static readonly string[] s_names = ["ä", "日本", "x,y", "", "naïve", "a\tb"];

        /// <summary>Row <paramref name="i"/> of a seeded random table: a function of the seed and index alone, so every process makes the same rows.</summary>
        public static Row Make(int seed, long i)
        {
            ulong r = Mix((ulong)seed * 0x9E3779B97F4A7C15UL + (ulong)i);
            string name = (r % 11) < 6 ? s_names[r % 6] + (r >> 8) % 300 : "n" + (r >> 12) % 400;
            int part = (int)((r >> 20) % 4);
            var level = (Level)((r >> 24) % 3);
            int? maybe = (r >> 28) % 4 == 0 ? null : (int)((r >> 30) % 5) - 2;
            var when = new DateTime(2026, 1, 1, 0, 0, 0, (r >> 33) % 2 == 0 ? DateTimeKind.Utc : DateTimeKind.Local).AddDays((long)((r >> 34) % 50));
            decimal amount = (decimal)((r >> 40) % 20) / 4m * ((r >> 45) % 2 == 0 ? 1m : 1.00m); // equal amounts with different scales
            var id = new Guid((int)((r >> 47) % 3), 0, 0, [1, 2, 3, 4, 5, 6, 7, 8]);
            return new Row(name, part, level, maybe, when, amount, id, (long)(Mix(r) % 1000));
        }

        private static ulong Mix(ulong z)
        {
            z = (z ^ (z >> 30)) * 0xBF58476D1CE4E5B9UL;
            z = (z ^ (z >> 27)) * 0x94D049BB133111EBUL;
            return z ^ (z >> 31);
        }
    }

    internal sealed record Options(string Output, long Rows, int Seed, int? Parallelism, bool Local)
    {
        public static Options Parse(string[] args)
        {
            string? output = null;
            long rows = 12_000;
            int seed = 1;
            int? parallelism = null;
            bool local = false;
            for (int i = 0; i + 1 < args.Length; i += 2)
            {
                switch (args[i])
                {
                    case "--local": local = args[i + 1] == "true"; break;
                    case "--output": output = args[i + 1]; break;
                    case "--rows": rows = long.Parse(args[i + 1], CultureInfo.InvariantCulture); break;
                    case "--seed": seed = int.Parse(args[i + 1], CultureInfo.InvariantCulture); break;
                    case "--parallelism": parallelism = int.Parse(args[i + 1], CultureInfo.InvariantCulture); break;
                    default: throw new ArgumentException($"unknown option {args[i]}");
                }
            }
            return new Options(output ?? throw new ArgumentException("--output is required"), rows, seed, parallelism, local);
        }
    }
}
