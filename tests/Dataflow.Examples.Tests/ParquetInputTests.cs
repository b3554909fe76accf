using Dataflow.Examples.ConnectedComponents;
using Dataflow.Examples.KMeans;
using Dataflow.Examples.PageRank;

namespace Dataflow.Examples.Tests;

/// <summary>The examples on Parquet inputs (written here from the reference text files) give the same answers as on text.</summary>
public sealed class ParquetInputTests : IDisposable
{
    private readonly string _dir = Directory.CreateTempSubdirectory("dataflow-parquet-").FullName;

    public void Dispose() => Directory.Delete(_dir, recursive: true);

    /// <summary>The edges of a reference file as Parquet (int64 src, dst) in several row groups.</summary>
    private async Task<string> EdgesParquetAsync(string graph)
    {
        var path = Path.Combine(_dir, graph + ".parquet");
        var env = DataflowEnvironment.CreateLocal(2);
        await env.ReadCsv(TestData.Path(graph + ".edges"), row => (row.GetInt64(0), row.GetInt64(1)), CsvFormat.Whitespace)
            .WriteParquetAsync(path, ["src", "dst"], rowsPerGroup: 25);
        return path;
    }

    /// <summary>The iris points as Parquet: four double columns, several row groups.</summary>
    private async Task<string> IrisParquetAsync()
    {
        var path = Path.Combine(_dir, "iris.parquet");
        var rows = TestData.ReadCsv(TestData.Path("iris.csv")).Select(p => (p[0], p[1], p[2], p[3])).ToList();
        await DataflowEnvironment.CreateLocal(2).FromCollection(rows).WriteParquetAsync(path, ["sepal_length", "sepal_width", "petal_length", "petal_width"], rowsPerGroup: 40);
        return path;
    }

    [Theory]
    [InlineData(1)]
    [InlineData(2)]
    [InlineData(4)]
    public async Task PageRank_KarateParquetEdges_SameRanksAsTextEdges(int parallelism)
    {
        var parquet = await EdgesParquetAsync("karate");
        var env = DataflowEnvironment.CreateLocal(parallelism);
        var fromText = (await (await PageRankJob.BuildAsync(env, PageRankJob.ReadEdges(env, TestData.Path("karate.edges")), 100, 0.85, 0)).CollectAsync())
            .ToDictionary(r => r.Id, r => r.Value);
        var edges = env.ReadParquet<(long Src, long Dst)>(parquet, ["src", "dst"]).Distinct();
        var fromParquet = (await (await PageRankJob.BuildAsync(env, edges, 100, 0.85, 0)).CollectAsync()).ToDictionary(r => r.Id, r => r.Value);
        Assert.Equal(fromText.Keys.Order(), fromParquet.Keys.Order());
        foreach (var (v, rank) in fromText) Assert.True(Math.Abs(rank - fromParquet[v]) <= 1e-12, $"vertex {v}: {rank} vs {fromParquet[v]}");
    }

    [Theory]
    [InlineData(1)]
    [InlineData(3)]
    public async Task KMeans_IrisParquetPoints_SameCentroidsAsCsv(int parallelism)
    {
        var parquet = await IrisParquetAsync();
        var env = DataflowEnvironment.CreateLocal(parallelism);
        var initial = KMeansJob.ReadCentroids(TestData.Path("iris.init-centroids.csv"));
        var fromCsv = (await KMeansJob.Build(KMeansJob.ReadPoints(env, TestData.Path("iris.csv")), env.FromCollection(initial), 10).CollectAsync()).OrderBy(c => c.Id).ToList();
        var fromParquet = (await KMeansJob.Build(env.ReadParquetVectors(parquet), env.FromCollection(initial), 10).CollectAsync()).OrderBy(c => c.Id).ToList();
        Assert.Equal(fromCsv.Count, fromParquet.Count);
        for (int i = 0; i < fromCsv.Count; i++)
        {
            for (int d = 0; d < fromCsv[i].Coordinates.Length; d++)
            {
                Assert.True(Math.Abs(fromCsv[i].Coordinates[d] - fromParquet[i].Coordinates[d]) <= 1e-12, $"centroid {i} dim {d}");
            }
        }
    }

    [Fact]
    public async Task PageRankProgram_ParquetEdgesAndOutput_WritesNetworkxRanks()
    {
        var edges = await EdgesParquetAsync("karate");
        var output = Path.Combine(_dir, "ranks.parquet");
        var (exit, _, stderr) = ExampleProcess.Run("PageRank", "--edges", edges, "--iterations", "100", "--output", output, "--parallelism", "2");
        Assert.True(exit == 0, stderr);
        var actual = (await DataflowEnvironment.CreateLocal(2).ReadParquet<(long Id, double Rank)>(output, ["id", "rank"]).CollectAsync())
            .ToDictionary(r => r.Id, r => r.Rank);
        var expected = TestData.ReadTsvDoubles(TestData.Path("karate.pagerank.tsv"));
        Assert.Equal(expected.Keys.Order(), actual.Keys.Order());
        foreach (var (v, r) in expected) Assert.True(Math.Abs(r - actual[v]) <= 1e-9, $"vertex {v}");
    }

    [Fact]
    public async Task KMeansProgram_ParquetPointsAndOutput_WritesScikitLearnCentroids()
    {
        var points = await IrisParquetAsync();
        var output = Path.Combine(_dir, "centroids.parquet");
        var (exit, _, stderr) = ExampleProcess.Run("KMeans", "--points", points, "--centroids", TestData.Path("iris.init-centroids.csv"),
            "--iterations", "10", "--output", output, "--parallelism", "3");
        Assert.True(exit == 0, stderr);
        var rows = await DataflowEnvironment.CreateLocal(1).ReadParquet<(int Centroid, int Dimension, double Value)>(output, ["centroid", "dimension", "value"]).CollectAsync();
        var expected = TestData.ReadCsv(TestData.Path("iris.centroids-after-10.csv"));
        Assert.Equal(expected.Sum(c => c.Length), rows.Count);
        foreach (var (c, d, x) in rows) Assert.True(Math.Abs(expected[c][d] - x) <= 1e-9, $"centroid {c} dim {d}");
    }

    [Fact]
    public async Task ConnectedComponentsProgram_ParquetEdges_WritesScipyComponents()
    {
        var edges = await EdgesParquetAsync("gnm300");
        var output = Path.Combine(_dir, "components.parquet");
        var (exit, _, stderr) = ExampleProcess.Run("ConnectedComponents", "--edges", edges, "--vertices", TestData.Path("gnm300.vertices"),
            "--output", output, "--parallelism", "3");
        Assert.True(exit == 0, stderr);
        var actual = (await DataflowEnvironment.CreateLocal(2).ReadParquet<VertexLabel>(output, ["vertex", "label"]).CollectAsync()).ToDictionary(v => v.Vertex, v => v.Label);
        Assert.Equal(TestData.ReadTsvLongs(TestData.Path("gnm300.components.tsv")), actual);
    }

    [Fact]
    public async Task PageRankProgram_ParquetEdgesOfWrongType_FailsNamingTheColumn()
    {
        var edges = Path.Combine(_dir, "int-edges.parquet");
        await DataflowEnvironment.CreateLocal(1).FromCollection([(1, 2), (2, 3)]).WriteParquetAsync(edges, ["src", "dst"]);
        var (exit, stdout, stderr) = ExampleProcess.Run("PageRank", "--edges", edges, "--iterations", "5");
        Assert.Equal(1, exit);
        Assert.Contains($"{edges}: column 'src' has type Int32, expected Int64", stdout + stderr);
    }
}
