using LdFleet.Relay.Hosting;
using LdFleet.Relay.LdPlayer;
using LdFleet.Relay.LdPlayer.Catalog;
using LdFleet.Testing;

namespace LdFleet.Relay.Tests.LdPlayer;

public sealed class FreshReadTests
{
    [Fact]
    public async Task CallersDuringARunningRead_ShareTheNextRead_NeverTheOneThatStartedBeforeThem()
    {
        var shared = new FreshRead<int>();
        var reads = 0;
        var release = new[] { new TaskCompletionSource(), new TaskCompletionSource() };
        Task<int> Read()
        {
            var n = Interlocked.Increment(ref reads);
            return release[n - 1].Task.ContinueWith(_ => n, TaskScheduler.Default);
        }

        var first = shared.ReadAsync(Read, default);
        await Poll.UntilAsync(() => Task.FromResult(Volatile.Read(ref reads)), n => n == 1, TimeSpan.FromSeconds(10), "the first read to start");
        var late = Enumerable.Range(0, 5).Select(_ => shared.ReadAsync(Read, default)).ToList();
        release[0].SetResult();

        Assert.Equal(1, await first);
        await Poll.UntilAsync(() => Task.FromResult(Volatile.Read(ref reads)), n => n == 2, TimeSpan.FromSeconds(10), "the queued read to start");
        Assert.All(late, t => Assert.False(t.IsCompleted));
        release[1].SetResult();

        Assert.All(await Task.WhenAll(late), r => Assert.Equal(2, r));
        Assert.Equal(2, reads);
    }

    [Fact]
    public async Task AFailedRead_FailsOnlyItsOwnCallers_AndTheNextCallReadsAgain()
    {
        var shared = new FreshRead<int>();
        var calls = 0;

        await Assert.ThrowsAsync<InvalidOperationException>(() => shared.ReadAsync(() => Interlocked.Increment(ref calls) == 1 ? throw new InvalidOperationException("list2 broke") : Task.FromResult(7), default));

        Assert.Equal(7, await shared.ReadAsync(() => Interlocked.Increment(ref calls) == 1 ? throw new InvalidOperationException() : Task.FromResult(7), default));
    }

    [Fact]
    public async Task ACallerGivingUp_DoesNotCancelTheReadOthersWaitFor()
    {
        var shared = new FreshRead<int>();
        var release = new TaskCompletionSource();
        using var impatient = new CancellationTokenSource();
        var patient = shared.ReadAsync(() => release.Task.ContinueWith(_ => 42, TaskScheduler.Default), default);
        var gaveUp = shared.ReadAsync(() => Task.FromResult(-1), impatient.Token);

        await impatient.CancelAsync();
        release.SetResult();

        await Assert.ThrowsAnyAsync<OperationCanceledException>(() => gaveUp);
        Assert.Equal(42, await patient);
    }

    [Fact]
    public async Task ManyBootWaitsOnOneHost_ShareList2()
    {
        const int Emulators = 12;
        using var sim = await SimulatedHost.CreateAsync("host-1", Emulators, bootDelayMs: 5_000);
        using var host = new LdPlayerHost(new LdPlayerHostOptions
        {
            Id = sim.Id,
            LdConsolePath = RepoPaths.Simulator,
            LaunchStagger = TimeSpan.Zero,
            Environment = { ["LDSIM_HOME"] = sim.Home },
        }, new ProcessRunner(TimeProvider.System));
        var driver = new LdPlayerDriver(TimeProvider.System);
        for (var i = 0; i < Emulators; i++)
        {
            await sim.RunAsync("launch", "--index", i.ToString(System.Globalization.CultureInfo.InvariantCulture));
        }

        var before = sim.JournalCount("list2");
        var waits = await Task.WhenAll(Enumerable.Range(0, Emulators).Select(i => driver.WaitUntilBootedAsync(host, EmulatorSelector.ByIndex(i), TimeSpan.FromSeconds(60), default)));
        var list2Calls = sim.JournalCount("list2") - before;

        Assert.All(waits, w => Assert.True(w.Succeeded, $"{w.ErrorCode} {w.Error}"));

        // Each wait polls once a second while the 5 s boots run: unshared that is several times 12 list2 calls;
        // shared, a poll round of all twelve costs one or two.
        Assert.True(list2Calls < Emulators, $"{list2Calls} list2 calls for {Emulators} concurrent boot waits");
    }
}
