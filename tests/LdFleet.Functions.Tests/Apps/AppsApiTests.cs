using System.IO.Compression;
using System.Net;
using System.Net.Http.Headers;
using System.Security.Cryptography;
using Azure.Storage.Blobs;
using LdFleet.Functions.Api.Security;
using LdFleet.Functions.Tests.Api;

namespace LdFleet.Functions.Tests.Apps;

/// <summary>APK uploads: stored once per content hash in blob storage, listed and shown by hash.</summary>
[Collection("api")]
public sealed class AppsApiTests
{
    private readonly ApiFixture _fixture;

    public AppsApiTests(ApiFixture fixture) => _fixture = fixture;

    [Fact]
    public async Task Upload_StoresBytesUnderTheirHash_Once()
    {
        using var client = _fixture.SelfHosted.Client(FleetRoles.Operate);
        var apk = Apk("com.example." + Guid.NewGuid().ToString("N")[..6]);
        var sha = Convert.ToHexStringLower(SHA256.HashData(apk));

        using var first = await Upload(client, apk, "app.apk");
        using var second = await Upload(client, apk, "renamed.apk");

        Assert.Equal(HttpStatusCode.Created, first.StatusCode);
        Assert.Equal($"/api/apps/{sha}", first.Headers.Location!.OriginalString);
        Assert.Equal(HttpStatusCode.OK, second.StatusCode);
        Assert.Equal("app.apk", (await second.ReadAsync()).GetProperty("name").GetString());
        var blob = new BlobServiceClient(_fixture.Azurite.ConnectionString).GetBlobContainerClient("apks").GetBlobClient(sha + ".apk");
        Assert.Equal(apk, (await blob.DownloadContentAsync()).Value.Content.ToArray());

        using var reader = _fixture.SelfHosted.Client(FleetRoles.Read);
        var shown = await (await reader.GetAsync(new Uri($"/api/apps/{sha}", UriKind.Relative))).ReadAsync();
        Assert.Equal(apk.Length, shown.GetProperty("size").GetInt64());
        var listed = await (await reader.GetAsync(new Uri("/api/apps?pageSize=1000", UriKind.Relative))).ReadAsync();
        Assert.Contains(listed.EnumerateArray(), a => a.GetProperty("sha256").GetString() == sha);
    }

    [Fact]
    public async Task NotAnApk_WrongType_OrTooLarge_AreProblems()
    {
        using var client = _fixture.SelfHosted.Client(FleetRoles.Operate);

        using var text = await Upload(client, "definitely not a zip archive"u8.ToArray(), "x.apk");
        using var noName = await Upload(client, Apk("a"), null);
        using var traversal = await Upload(client, Apk("a"), "../../etc/passwd");
        using var json = await client.PostAsync(new Uri("/api/apps?name=a.apk", UriKind.Relative), new StringContent("{}", System.Text.Encoding.UTF8, "application/json"));
        await using var large = FleetApp.Start(_fixture.Azurite.ConnectionString, new Dictionary<string, string?> { ["Apps:MaxApkBytes"] = "4096" });
        using var largeClient = large.Client(FleetRoles.Operate);
        using var tooLarge = await Upload(largeClient, new byte[10_000], "big.apk");

        Assert.True((await text.AssertProblemAsync(HttpStatusCode.BadRequest, "validation")).GetProperty("errors").TryGetProperty("body", out _));
        Assert.True((await noName.AssertProblemAsync(HttpStatusCode.BadRequest, "validation")).GetProperty("errors").TryGetProperty("name", out _));
        await traversal.AssertProblemAsync(HttpStatusCode.BadRequest, "validation");
        await json.AssertProblemAsync(HttpStatusCode.UnsupportedMediaType, "unsupported-media-type");
        await tooLarge.AssertProblemAsync(HttpStatusCode.RequestEntityTooLarge, "payload-too-large");
    }

    internal static byte[] Apk(string package)
    {
        using var stream = new MemoryStream();
        using (var zip = new ZipArchive(stream, ZipArchiveMode.Create, leaveOpen: true))
        {
            using var entry = new StreamWriter(zip.CreateEntry("AndroidManifest.xml").Open());
            entry.Write($"<manifest package=\"{package}\"/>");
        }

        return stream.ToArray();
    }

    private static Task<HttpResponseMessage> Upload(HttpClient client, byte[] bytes, string? name)
    {
        var content = new ByteArrayContent(bytes);
        content.Headers.ContentType = new MediaTypeHeaderValue("application/vnd.android.package-archive");
        return client.PostAsync(new Uri("/api/apps" + (name is null ? "" : "?name=" + Uri.EscapeDataString(name)), UriKind.Relative), content);
    }
}
