using System.Net;
using System.Text;
using LdFleet.Functions.Api.Security;

namespace LdFleet.Functions.Tests.Api;

/// <summary>
/// Issue 19, item 1: the Content-Type charset of a JSON body. Every spelling of UTF-8 is read as UTF-8 (the quoted
/// <c>charset="utf-8"</c> was a 500 on the endpoints whose body the framework binds); any other charset is a 415
/// problem, on every JSON endpoint alike.
/// </summary>
[Collection("api")]
public sealed class JsonCharsetTests
{
    private readonly ApiFixture _fixture;

    public JsonCharsetTests(ApiFixture fixture) => _fixture = fixture;

    public static TheoryData<string, string> Utf8Spellings()
    {
        var data = new TheoryData<string, string>();
        foreach (var endpoint in JsonEndpoints)
        {
            foreach (var contentType in new[]
            {
                "application/json; charset=utf-8",
                "application/json; charset=UTF-8",
                "application/json; charset=utf8",
                "application/json;charset=UTF8",
                "application/json; charset=\"utf-8\"",
                "application/json; charset=\"UTF-8\"",
                "application/json; charset=\" utf-8 \"",
                "application/json;   charset=utf-8   ",
            })
            {
                data.Add(endpoint, contentType);
            }
        }

        return data;
    }

    public static TheoryData<string, string> OtherCharsets()
    {
        var data = new TheoryData<string, string>();
        foreach (var endpoint in JsonEndpoints.Append("sites"))
        {
            foreach (var contentType in new[]
            {
                "application/json; charset=utf-16",
                "application/json; charset=iso-8859-1",
                "application/json; charset=\"latin1\"",
                "application/json; charset=gbk",
                "application/json; charset=x-no-such-charset",
                "application/json; charset=\"utf-8; x\"",
            })
            {
                data.Add(endpoint, contentType);
            }
        }

        return data;
    }

    private static string[] JsonEndpoints => ["operations", "emulator", "batches"];

    [Theory]
    [MemberData(nameof(Utf8Spellings))]
    public async Task EverySpellingOfUtf8_IsReadAsUtf8(string endpoint, string contentType)
    {
        using var client = _fixture.SelfHosted.Client(FleetRoles.Admin);
        var (path, json) = Request(endpoint, ApiFixture.NewSiteId());

        using var response = await PostAsync(client, path, json, contentType);

        var body = await response.Content.ReadAsStringAsync();
        Assert.True(response.StatusCode == HttpStatusCode.Accepted, $"{(int)response.StatusCode} {body}");
    }

    [Theory]
    [MemberData(nameof(OtherCharsets))]
    public async Task AnyOtherCharset_Is415Problem(string endpoint, string contentType)
    {
        using var client = _fixture.SelfHosted.Client(FleetRoles.Admin);
        var (path, json) = Request(endpoint, ApiFixture.NewSiteId());

        using var response = await PostAsync(client, path, json, contentType);

        await response.AssertProblemAsync(HttpStatusCode.UnsupportedMediaType, "unsupported-media-type");
    }

    [Fact]
    public async Task Charset_IsCheckedAfterAuthentication()
    {
        using var anonymous = _fixture.SelfHosted.Anonymous();
        var (path, json) = Request("operations", ApiFixture.NewSiteId());

        using var response = await PostAsync(anonymous, path, json, "application/json; charset=utf-16");

        await response.AssertProblemAsync(HttpStatusCode.Unauthorized, "unauthorized");
    }

    private static (string Path, string Json) Request(string endpoint, string site) => endpoint switch
    {
        "operations" => ("/api/operations", $"{{\"workflow\":\"status\",\"siteId\":\"{site}\",\"hostId\":\"host-1\",\"index\":0}}"),
        "emulator" => ($"/api/sites/{site}/hosts/host-1/emulators/0/runapp", "{\"parameters\":{\"packageName\":\"com.example.shop\"}}"),
        "batches" => ("/api/batches", $"{{\"workflow\":\"status\",\"selector\":{{\"targets\":[{{\"siteId\":\"{site}\",\"hostId\":\"host-1\",\"index\":0}}]}}}}"),
        "sites" => ("/api/sites", $"{{\"id\":\"{site}\"}}"),
        _ => throw new ArgumentOutOfRangeException(nameof(endpoint), endpoint, null),
    };

    /// <summary>Sends <paramref name="json"/> as UTF-8 bytes under the exact Content-Type given (no client-side normalising).</summary>
    internal static Task<HttpResponseMessage> PostAsync(HttpClient client, string path, string json, string contentType)
    {
        var content = new ByteArrayContent(Encoding.UTF8.GetBytes(json));
        Assert.True(content.Headers.TryAddWithoutValidation("Content-Type", contentType));
        return client.PostAsync(new Uri(path, UriKind.Relative), content);
    }
}
