namespace LdFleet.Testing;

/// <summary>The cloud app run as a child process, as the end-to-end tests and the benchmarks start it.</summary>
public static class CloudApp
{
    /// <summary>Starts the app listening on <paramref name="address"/> with <paramref name="settings"/> as environment.</summary>
    public static ChildProcess Start(Uri address, IReadOnlyDictionary<string, string?> settings)
    {
        ArgumentNullException.ThrowIfNull(address);
        ArgumentNullException.ThrowIfNull(settings);
        var environment = new Dictionary<string, string?>(settings) { ["ASPNETCORE_URLS"] = address.ToString() };
        return ChildProcess.Start("cloud", "dotnet", ["exec", RepoPaths.FunctionsDll], environment);
    }

    /// <summary>Waits until <c>/health/live</c> answers; fails at once, with the app's output, if it exits first.</summary>
    public static Task WaitUntilLiveAsync(HttpClient api, ChildProcess process, TimeSpan? timeout = null)
    {
        ArgumentNullException.ThrowIfNull(api);
        ArgumentNullException.ThrowIfNull(process);
        return Poll.UntilAsync(
            async () =>
            {
                if (process.HasExited)
                {
                    throw new InvalidOperationException("The cloud app exited during start-up.\n" + process.Tail());
                }

                try
                {
                    using var response = await api.GetAsync(new Uri("/health/live", UriKind.Relative));
                    return response.IsSuccessStatusCode;
                }
                catch (HttpRequestException)
                {
                    return false;
                }
            },
            live => live,
            timeout ?? TimeSpan.FromSeconds(60),
            "the cloud app to answer /health/live");
    }
}
