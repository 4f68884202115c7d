using LdFleet.Relay.LdPlayer;
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
}
