using System.Globalization;
using LdFleet.LdConsoleSim.Tests.Infrastructure;

namespace LdFleet.LdConsoleSim.Tests;

public sealed class ConcurrencyTests
{
    [Fact]
    public async Task Parallel_launches_of_different_indexes_all_land()
    {
        using var home = SimHome.Init(8, "LD9", adbDelayMs: 0);

        var results = await Task.WhenAll(Enumerable.Range(0, 8).Select(index =>
            home.RunAsync(["launch", "--index", index.ToString(CultureInfo.InvariantCulture)])));

        Assert.All(results, result =>
        {
            Assert.Equal(0, result.ExitCode);
            Assert.Empty(result.StdoutBytes);
        });
        home.Advance(SimHome.Boot);
        var rows = home.List2();
        Assert.Equal(8, rows.Count);
        Assert.All(rows, row => Assert.Equal("1", row[4]));
        var pids = rows.SelectMany(row => new[] { row[5], row[6] }).ToList();
        Assert.Equal(16, pids.Distinct().Count());
        Assert.Equal(8, home.Journal().Count(entry => entry["argv"]![0]!.GetValue<string>() == "launch"));
    }

    [Fact]
    public async Task Parallel_adds_get_distinct_indexes()
    {
        using var home = SimHome.Init(1, "LD14");

        var results = await Task.WhenAll(Enumerable.Range(0, 8).Select(_ => home.RunAsync(["add"])));

        Assert.Equal(Enumerable.Range(1, 8), results.Select(result => result.ExitCode).Order());
        Assert.Equal(9, home.List2().Count);
    }

    [Fact]
    public async Task Parallel_readers_and_writers_never_see_torn_files()
    {
        using var home = SimHome.Init(4, "LD9");

        var calls = Enumerable.Range(0, 12).Select(i => i % 3 == 0
            ? home.RunAsync(["list2"])
            : home.RunAsync(["modify", "--index", (i % 4).ToString(CultureInfo.InvariantCulture), "--cpu", "2"]));
        var results = await Task.WhenAll(calls);

        Assert.All(results, result => Assert.Equal(0, result.ExitCode));
        Assert.All(results.Where(r => r.StdoutBytes.Length > 0), r => Assert.Equal(4, r.Stdout.Split("\r\n").Length - 1));
    }
}
