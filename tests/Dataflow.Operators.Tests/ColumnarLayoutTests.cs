using Dataflow.Operators.Columnar;

namespace Dataflow.Operators.Tests;

public sealed record LayoutRow(int Id, string? Name, double? Score);

public sealed class LayoutSettable
{
    public long Id { get; set; }

    public bool Flag { get; set; }
}

public class ColumnarLayoutTests
{
    [Fact]
    public void FillThenBuild_Record_SameRecordsThroughTypedColumns()
    {
        var layout = new ColumnarLayout<LayoutRow>();
        var rows = new[] { new LayoutRow(1, "a", null), new LayoutRow(2, null, 2.5), new LayoutRow(3, "", -1) };
        var buffers = layout.CreateBuffers();
        layout.Fill(rows, rows.Length, buffers);
        Assert.Equal([1, 2, 3], ((ColumnBuffer<int>)buffers[0]).Data[..3]);
        Assert.Equal([null, 2.5, -1.0], ((ColumnBuffer<double?>)buffers[2]).Data[..3]);
        var back = new LayoutRow[3];
        layout.Build(buffers, back, 3);
        Assert.Equal(rows, back);
        Assert.Equal(["Id", "Name", "Score"], layout.Names);
    }

    [Fact]
    public void FillThenBuild_ClassWithSettersAndTuple_SameValues()
    {
        var classes = new ColumnarLayout<LayoutSettable>();
        var buffers = classes.CreateBuffers();
        classes.Fill([new LayoutSettable { Id = 7, Flag = true }], 1, buffers);
        var back = new LayoutSettable[1];
        classes.Build(buffers, back, 1);
        Assert.Equal((7L, true), (back[0].Id, back[0].Flag));

        var tuples = new ColumnarLayout<(long, string)>(["src", "label"]);
        Assert.Equal(["src", "label"], tuples.Names);
        Assert.Equal(["Item1", "Item2"], tuples.MemberNames);
        var tb = tuples.CreateBuffers();
        tuples.Fill([(5L, "x")], 1, tb);
        var tback = new (long, string)[1];
        tuples.Build(tb, tback, 1);
        Assert.Equal((5L, "x"), tback[0]);
    }

    [Fact]
    public void Create_WrongNumberOfColumnNames_ThrowsListingMembers()
    {
        var ex = Assert.Throws<ArgumentException>(() => new ColumnarLayout<LayoutRow>(["only"]));
        Assert.Contains("1 column names given for the 3 members of LayoutRow (Id, Name, Score)", ex.Message);
        Assert.Throws<ArgumentException>(() => new ColumnarLayout<(int, int)>(["a", "a"]));
    }

    [Fact]
    public void ShareOf_RowGroupsOverSubtasks_EachGroupOnce()
    {
        for (int groups = 0; groups < 10; groups++)
        {
            for (int p = 1; p <= 4; p++)
            {
                var all = Enumerable.Range(0, p).SelectMany(s => { var (a, b) = ColumnMatch.ShareOf(groups, s, p); return Enumerable.Range(a, b - a); });
                Assert.Equal(Enumerable.Range(0, groups), all);
            }
        }
    }
}
