using System.Text.Json;
using System.Text.Json.Serialization;

namespace LdFleet.Cli.Config;

/// <summary>
/// Where the CLI keeps its files: <c>LDFLEET_CONFIG</c> names the config file; otherwise
/// <c>~/.config/ldfleet/config.json</c> (<c>%APPDATA%\ldfleet</c> on Windows). Tokens live next to it, readable by the
/// user only.
/// </summary>
internal sealed class ConfigStore
{
    public const string ConfigVariable = "LDFLEET_CONFIG";

    internal static readonly JsonSerializerOptions Json = new(JsonSerializerDefaults.Web)
    {
        WriteIndented = true,
        DefaultIgnoreCondition = JsonIgnoreCondition.WhenWritingNull,

        // A file people read and edit: profile names and URLs in any script stay as typed.
        Encoder = System.Text.Encodings.Web.JavaScriptEncoder.UnsafeRelaxedJsonEscaping,
    };

    public ConfigStore(string configFile)
    {
        ConfigFile = Path.GetFullPath(configFile);
        Directory = Path.GetDirectoryName(ConfigFile)!;
    }

    public string ConfigFile { get; }

    public string Directory { get; }

    public string TokensFile => Path.Combine(Directory, "tokens.json");

    public string MsalCacheFile(string profile) => Path.Combine(Directory, $"msal-{profile}.cache");

    public static ConfigStore FromEnvironment()
    {
        if (Environment.GetEnvironmentVariable(ConfigVariable) is { Length: > 0 } file)
        {
            return new ConfigStore(file);
        }

        var root = Environment.GetFolderPath(Environment.SpecialFolder.ApplicationData, Environment.SpecialFolderOption.DoNotVerify);
        if (string.IsNullOrEmpty(root))
        {
            root = Path.Combine(Environment.GetFolderPath(Environment.SpecialFolder.UserProfile), ".config");
        }

        return new ConfigStore(Path.Combine(root, "ldfleet", "config.json"));
    }

    public CliConfig Load()
    {
        if (!File.Exists(ConfigFile))
        {
            return new CliConfig();
        }

        try
        {
            var config = JsonSerializer.Deserialize<CliConfig>(File.ReadAllText(ConfigFile), Json) ?? new CliConfig();
            return config with { Profiles = new Dictionary<string, Profile>(config.Profiles, StringComparer.Ordinal) };
        }
        catch (JsonException ex)
        {
            throw new CliException(ExitCodes.Usage, $"The config file {ConfigFile} is not valid JSON: {ex.Message}", ["Fix or delete it; `ldfleet config set` writes a new one."]);
        }
    }

    public void Save(CliConfig config) => SecureFile.WriteAllText(ConfigFile, JsonSerializer.Serialize(config, Json));
}

/// <summary>Writes files only the user can read: they hold API URLs next to tokens and token caches.</summary>
internal static class SecureFile
{
    public static void WriteAllText(string path, string contents) => WriteAllBytes(path, System.Text.Encoding.UTF8.GetBytes(contents));

    public static void WriteAllBytes(string path, byte[] contents)
    {
        var directory = Path.GetDirectoryName(Path.GetFullPath(path))!;
        if (OperatingSystem.IsWindows())
        {
            // %APPDATA% is private to the user by its ACL.
            System.IO.Directory.CreateDirectory(directory);
        }
        else
        {
            System.IO.Directory.CreateDirectory(directory, UnixFileMode.UserRead | UnixFileMode.UserWrite | UnixFileMode.UserExecute);
        }

        // Write a private temp file and rename it over the old one: readers never see half a file, and the
        // contents never exist with looser permissions, even for a moment.
        var temp = path + "." + Guid.NewGuid().ToString("N")[..8] + ".tmp";
        var options = new FileStreamOptions { Mode = FileMode.CreateNew, Access = FileAccess.Write };
        if (!OperatingSystem.IsWindows())
        {
            options.UnixCreateMode = UnixFileMode.UserRead | UnixFileMode.UserWrite;
        }

        try
        {
            using (var stream = new FileStream(temp, options))
            {
                stream.Write(contents);
            }

            File.Move(temp, path, overwrite: true);
        }
        finally
        {
            File.Delete(temp);
        }
    }
}
