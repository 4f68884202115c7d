using System.Globalization;
using System.Text.Json;
using System.Text.Json.Nodes;
using LdFleet.LdConsoleSim.Cli;
using LdFleet.LdConsoleSim.Json;

namespace LdFleet.LdConsoleSim.State;

/// <summary>
/// The <c>vms/</c> side of a simulated install. Changes are staged and only hit the disk in
/// <see cref="Commit"/>, so the <c>crash</c> fault can abandon a command half-way without leaving
/// partial effects. Callers hold the <see cref="SimLock"/>.
/// </summary>
internal sealed class InstallStore
{
    private const string ConfigPrefix = "leidian";
    private const string ConfigSuffix = ".config";

    private readonly SimPaths _paths;
    private readonly Dictionary<int, JsonObject?> _configs = [];
    private readonly HashSet<int> _dirtyConfigs = [];
    private readonly List<Action> _fileOperations = [];
    private List<int>? _diskIndexes;
    private JsonObject? _global;
    private bool _globalDirty;

    public InstallStore(SimPaths paths)
    {
        _paths = paths;
    }

    /// <summary>Existing instance indexes, ascending. An instance exists when its config file exists.</summary>
    public IReadOnlyList<int> Indexes()
    {
        _diskIndexes ??= ScanDisk();
        var indexes = new List<int>(_diskIndexes);
        foreach (var (index, config) in _configs)
        {
            if (config is null)
            {
                indexes.Remove(index);
            }
            else if (!indexes.Contains(index))
            {
                indexes.Add(index);
            }
        }

        indexes.Sort();
        return indexes;
    }

    public JsonObject? Config(int index)
    {
        if (_configs.TryGetValue(index, out var cached))
        {
            return cached;
        }

        var bytes = AtomicFile.TryReadAllBytes(_paths.InstanceConfig(index));
        var config = bytes is null ? null : Parse(bytes, _paths.InstanceConfig(index));
        _configs[index] = config;
        return config;
    }

    public void SaveConfig(int index, JsonObject config)
    {
        _configs[index] = config;
        _dirtyConfigs.Add(index);
    }

    public void CreateInstanceDir(int index, int? copyFrom)
    {
        var target = _paths.InstanceDir(index);
        var source = copyFrom is { } from ? _paths.InstanceDir(from) : null;
        _fileOperations.Add(() =>
        {
            if (Directory.Exists(target))
            {
                Directory.Delete(target, recursive: true);
            }

            if (source is not null && Directory.Exists(source))
            {
                CopyDirectory(source, target);
            }
            else
            {
                Directory.CreateDirectory(target);
            }
        });
    }

    public void DeleteInstance(int index)
    {
        _configs[index] = null;
        _dirtyConfigs.Add(index);
        var directory = _paths.InstanceDir(index);
        _fileOperations.Add(() =>
        {
            if (Directory.Exists(directory))
            {
                Directory.Delete(directory, recursive: true);
            }
        });
    }

    public JsonObject Global()
    {
        if (_global is null)
        {
            var bytes = AtomicFile.TryReadAllBytes(_paths.GlobalConfig);
            _global = bytes is null ? InstanceConfigFactory.CreateGlobal() : Parse(bytes, _paths.GlobalConfig);
        }

        return _global;
    }

    public void SaveGlobal(JsonObject global)
    {
        _global = global;
        _globalDirty = true;
    }

    /// <summary>A file outside the install (e.g. a backup target), written atomically at commit.</summary>
    public void WriteExternalFile(string path, byte[] bytes) =>
        _fileOperations.Add(() => AtomicFile.WriteAllBytes(path, bytes));

    public void Commit()
    {
        // Removed instances vanish first (config, then folder); new folders exist before their config.
        foreach (var index in _dirtyConfigs)
        {
            if (_configs[index] is null)
            {
                File.Delete(_paths.InstanceConfig(index));
            }
        }

        foreach (var operation in _fileOperations)
        {
            operation();
        }

        foreach (var index in _dirtyConfigs)
        {
            if (_configs[index] is { } config)
            {
                AtomicFile.WriteAllBytes(_paths.InstanceConfig(index), SimJson.Serialize(config, indented: true, relaxedEscaping: true));
            }
        }

        if (_globalDirty && _global is not null)
        {
            AtomicFile.WriteAllBytes(_paths.GlobalConfig, SimJson.Serialize(_global, indented: true, relaxedEscaping: true));
        }

        _dirtyConfigs.Clear();
        _fileOperations.Clear();
        _globalDirty = false;
    }

    private static JsonObject Parse(byte[] bytes, string path)
    {
        try
        {
            return SimJson.ParseObject(bytes);
        }
        catch (JsonException ex)
        {
            throw new SimUsageException("invalid JSON in " + path + ": " + ex.Message, ex);
        }
    }

    private static void CopyDirectory(string source, string target)
    {
        Directory.CreateDirectory(target);
        foreach (var file in Directory.EnumerateFiles(source))
        {
            File.Copy(file, Path.Combine(target, Path.GetFileName(file)), overwrite: true);
        }

        foreach (var directory in Directory.EnumerateDirectories(source))
        {
            CopyDirectory(directory, Path.Combine(target, Path.GetFileName(directory)));
        }
    }

    private List<int> ScanDisk()
    {
        var indexes = new List<int>();
        if (!Directory.Exists(_paths.ConfigDir))
        {
            return indexes;
        }

        foreach (var file in Directory.EnumerateFiles(_paths.ConfigDir, ConfigPrefix + "*" + ConfigSuffix))
        {
            var name = Path.GetFileName(file);
            var digits = name.AsSpan(ConfigPrefix.Length, name.Length - ConfigPrefix.Length - ConfigSuffix.Length);
            if (int.TryParse(digits, NumberStyles.None, CultureInfo.InvariantCulture, out var index))
            {
                indexes.Add(index);
            }
        }

        return indexes;
    }
}
