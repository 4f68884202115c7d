namespace LdFleet.Deployment.Tests;

/// <summary>The relay as a site installs it: one self-contained Windows executable (plus its default settings).</summary>
[Collection(PublishedPackagesCollection.Name)]
public sealed class RelayPackageTests(PublishedPackages packages)
{
    [Fact]
    public void WindowsPublish_IsOneSelfContainedExecutable()
    {
        var exe = Path.Combine(packages.RelayWindowsDirectory, "LdFleet.Relay.exe");

        Assert.True(File.Exists(exe), $"{exe} is missing");
        using (var stream = File.OpenRead(exe))
        {
            var magic = new byte[2];
            stream.ReadExactly(magic);
            Assert.Equal("MZ"u8.ToArray(), magic);
        }

        // Single file with the runtime and SQLite's native library inside: no DLL may sit beside it.
        Assert.True(new FileInfo(exe).Length > 30_000_000, "a self-contained relay carries the .NET runtime");
        var beside = Directory.GetFiles(packages.RelayWindowsDirectory).Select(Path.GetFileName).Order(StringComparer.Ordinal);
        Assert.Equal(["LdFleet.Relay.exe", "appsettings.json"], beside);
    }
}
