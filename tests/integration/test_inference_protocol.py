"""The KServe v2 / Triton gRPC protocol end to end: ``hirelens serve`` in a subprocess, the real tritonclient.

Media: ``../shared/fixtures`` (provenance in its README).
"""

from __future__ import annotations

import signal
import socket
import subprocess
import threading
import wave
from collections.abc import Iterator
from pathlib import Path

import cv2
import grpc
import numpy as np
import pytest
import tritonclient.grpc as triton
from grpc_health.v1 import health_pb2, health_pb2_grpc
from grpc_reflection.v1alpha.proto_reflection_descriptor_database import ProtoReflectionDescriptorDatabase
from tritonclient.grpc import service_pb2, service_pb2_grpc
from tritonclient.utils import InferenceServerException, serialize_byte_tensor

from server.api.tensors import decode_bytes, encode_bytes
from tests.server_process import ServerProcess

REPO_ROOT = Path(__file__).resolve().parents[2]
MODELS = (
    "asr_whisper_base",
    "asr_whisper_tiny_en",
    "face_dlib",
    "text_embed_minilm",
    "text_embed_use_multilingual",
    "vad_silero",
    "voice_prosody",
)
TEXTS = ["I led the migration and cut costs by 20%.", "We shipped on time.", "团队合作很重要"]


@pytest.fixture(scope="module")
def served(tmp_path_factory) -> Iterator[tuple[subprocess.Popen, str]]:
    """``hirelens serve`` on a free loopback port, ready; its stderr goes to a file the failures can show."""
    server = ServerProcess(tmp_path_factory.mktemp("serve")).start()
    yield server.process, server.address
    server.kill()


@pytest.fixture(scope="module")
def client(served) -> Iterator[triton.InferenceServerClient]:
    client = triton.InferenceServerClient(served[1])
    yield client
    client.close()


def text_input(texts: list[str]) -> triton.InferInput:
    tensor = triton.InferInput("TEXT", [len(texts), 1], "BYTES")
    tensor.set_data_from_numpy(np.array([[t.encode("utf-8")] for t in texts], dtype=object))
    return tensor


def read_wav(path: Path) -> np.ndarray:
    with wave.open(str(path)) as wav:
        assert (wav.getframerate(), wav.getnchannels(), wav.getsampwidth()) == (16000, 1, 2), path
        return np.frombuffer(wav.readframes(wav.getnframes()), np.int16).astype(np.float32) / 32768


def test_bytes_serialisation_is_tritons():
    """4-byte little-endian length, then the bytes, row-major; empty strings and UTF-8 survive."""
    array = np.array([[b"ab"], [b""], ["团".encode()]], dtype=object)
    raw = encode_bytes(array)
    assert raw == b"\x02\x00\x00\x00ab" + b"\x00\x00\x00\x00" + b"\x03\x00\x00\x00" + "团".encode()
    assert decode_bytes("TEXT", raw) == [b"ab", b"", "团".encode()]
    assert serialize_byte_tensor(array).item() == raw


def test_server_is_ready_and_a_model_once_loaded(client):
    """Triton's ModelReady: true once the model is loaded (here on first use or RepositoryModelLoad)."""
    assert client.is_server_live() and client.is_server_ready()
    assert not client.is_model_ready("voice_prosody")  # no inference has loaded it yet
    client.load_model("voice_prosody")
    assert client.is_model_ready("voice_prosody")
    assert not client.is_model_ready("no_such_model")
    assert not client.is_model_ready("face_dlib", model_version="7")


def test_server_metadata_names_hirelens(client):
    from server import __version__

    metadata = client.get_server_metadata(as_json=True)
    assert metadata["name"] == "hirelens" and metadata["version"] == __version__
    assert "model_configuration" in metadata["extensions"]


def test_model_metadata_has_protocol_datatypes_and_batch_dims(client):
    text = client.get_model_metadata("text_embed_minilm", as_json=True)
    assert text["versions"] == ["1"]
    assert text["inputs"] == [{"name": "TEXT", "datatype": "BYTES", "shape": ["-1", "1"]}]
    assert text["outputs"] == [{"name": "EMBEDDING", "datatype": "FP32", "shape": ["-1", "384"]}]
    face = client.get_model_metadata("face_dlib", as_json=True)
    assert face["inputs"] == [{"name": "IMAGE", "datatype": "UINT8", "shape": ["-1", "-1", "-1", "3"]}]
    assert [o["name"] for o in face["outputs"]] == ["FACE_COUNT", "BOXES", "LANDMARKS"]


def test_model_config_is_the_parsed_config_pbtxt(client):
    text = client.get_model_config("text_embed_minilm").config
    assert text.name == "text_embed_minilm" and text.max_batch_size == 64 and text.backend == "python"
    face = client.get_model_config("face_dlib").config
    assert face.max_batch_size == 8 and face.dynamic_batching.max_queue_delay_microseconds == 5000
    assert face.parameters["upsample"].string_value == "0"


def test_repository_index_lists_every_model_ready_once_loaded(client):
    index = client.get_model_repository_index(as_json=True)["models"]
    assert [m["name"] for m in index] == list(MODELS)
    assert all(m["version"] == "1" for m in index)
    for model in index:
        assert (model["state"] == "READY") == client.is_model_ready(model["name"]), model
        if model["state"] != "READY":
            assert model["state"] == "UNAVAILABLE" and "not loaded" in model["reason"], model
    assert {m["name"] for m in index if m["state"] == "READY"} >= {"voice_prosody"}


def test_batched_bytes_embeddings_equal_in_process_ones(client, runtime):
    result = client.infer("text_embed_minilm", [text_input(TEXTS)], request_id="emb-1")
    remote = result.as_numpy("EMBEDDING")
    local = runtime.infer(
        "text_embed_minilm", {"TEXT": np.array([[t.encode()] for t in TEXTS], dtype=object)}
    )
    assert remote.shape == (3, 384) and remote.dtype == np.float32
    np.testing.assert_allclose(remote, local["EMBEDDING"], atol=1e-5)
    assert result.get_response().id == "emb-1"


def test_typed_contents_decode_like_raw_bytes(served, client):
    """Clients that send ``contents.bytes_contents`` instead of raw bytes get the same answer."""
    request = service_pb2.ModelInferRequest(model_name="text_embed_minilm")
    tensor = request.inputs.add(name="TEXT", datatype="BYTES", shape=[2, 1])
    tensor.contents.bytes_contents.extend(t.encode() for t in TEXTS[:2])
    with grpc.insecure_channel(served[1]) as channel:
        response = service_pb2_grpc.GRPCInferenceServiceStub(channel).ModelInfer(request, timeout=30)
    typed = np.frombuffer(response.raw_output_contents[0], np.float32).reshape(2, 384)
    raw = client.infer("text_embed_minilm", [text_input(TEXTS[:2])]).as_numpy("EMBEDDING")
    np.testing.assert_allclose(typed, raw, atol=1e-6)


def test_vad_finds_speech_in_a_librivox_clip(client, fixtures_dir):
    audio = read_wav(sorted((fixtures_dir / "speech_en").glob("*.wav"))[0])
    tensor = triton.InferInput("AUDIO", list(audio.shape), "FP32")
    tensor.set_data_from_numpy(audio)
    segments = client.infer("vad_silero", [tensor]).as_numpy("SEGMENTS")
    assert segments.ndim == 2 and segments.shape[1] == 2 and len(segments) >= 1
    assert (segments[:, 1] - segments[:, 0]).sum() >= 0.8 * len(audio) / 16000


def test_concurrent_async_face_requests_each_find_one_face(client, fixtures_dir):
    image = cv2.cvtColor(cv2.imread(str(fixtures_dir / "faces" / "single_face.jpg")), cv2.COLOR_BGR2RGB)
    results: list = []
    done = threading.Semaphore(0)

    def callback(result, error):
        results.append(error or result)
        done.release()

    for i in range(6):
        tensor = triton.InferInput("IMAGE", [1, *image.shape], "UINT8")
        tensor.set_data_from_numpy(image[np.newaxis])
        outputs = [triton.InferRequestedOutput("FACE_COUNT"), triton.InferRequestedOutput("BOXES")]
        client.async_infer("face_dlib", [tensor], callback, outputs=outputs, request_id=str(i))
    for _ in range(6):
        assert done.acquire(timeout=30)
    for result in results:
        assert not isinstance(result, Exception), result
        assert result.as_numpy("FACE_COUNT").tolist() == [[1]]
        assert result.as_numpy("LANDMARKS") is None  # only the outputs asked for come back
        assert result.as_numpy("BOXES").shape == (1, 4, 5)
    assert sorted(r.get_response().id for r in results) == [str(i) for i in range(6)]


def test_unknown_model_is_not_found(client):
    with pytest.raises(InferenceServerException) as error:
        client.infer("no_such_model", [text_input(["x"])])
    assert error.value.status() == "StatusCode.NOT_FOUND"
    assert "no_such_model" in error.value.message()


def test_wrong_datatype_is_invalid_argument_naming_the_input(client):
    tensor = triton.InferInput("TEXT", [1, 1], "FP32")
    tensor.set_data_from_numpy(np.zeros((1, 1), np.float32))
    with pytest.raises(InferenceServerException) as error:
        client.infer("text_embed_minilm", [tensor])
    assert error.value.status() == "StatusCode.INVALID_ARGUMENT"
    assert "'TEXT'" in error.value.message() and "BYTES" in error.value.message()


def test_wrong_shape_is_invalid_argument_naming_the_input(client):
    tensor = triton.InferInput("IMAGE", [1, 4, 4], "UINT8")
    tensor.set_data_from_numpy(np.zeros((1, 4, 4), np.uint8))
    with pytest.raises(InferenceServerException) as error:
        client.infer("face_dlib", [tensor])
    assert error.value.status() == "StatusCode.INVALID_ARGUMENT" and "'IMAGE'" in error.value.message()


def test_server_still_serves_after_errors(client):
    assert client.is_server_ready()
    assert client.infer("text_embed_minilm", [text_input(["still here"])]).as_numpy("EMBEDDING").shape == (
        1,
        384,
    )


def test_stream_answers_in_order_with_errors_inside_the_stream(client):
    answers: list = []
    done = threading.Semaphore(0)

    def callback(result, error):
        answers.append(error or result)
        done.release()

    client.start_stream(callback)
    try:
        client.async_stream_infer("text_embed_minilm", [text_input(TEXTS[:1])], request_id="a")
        client.async_stream_infer("no_such_model", [text_input(["x"])], request_id="b")
        client.async_stream_infer("text_embed_minilm", [text_input(TEXTS[1:])], request_id="c")
        for _ in range(3):
            assert done.acquire(timeout=30)
    finally:
        client.stop_stream()
    first, failed, last = answers
    assert first.get_response().id == "a" and first.as_numpy("EMBEDDING").shape == (1, 384)
    assert isinstance(failed, InferenceServerException) and "no_such_model" in failed.message()
    assert last.get_response().id == "c" and last.as_numpy("EMBEDDING").shape == (2, 384)


def test_grpc_health_reports_serving(served):
    with grpc.insecure_channel(served[1]) as channel:
        stub = health_pb2_grpc.HealthStub(channel)
        for service in ("", "inference.GRPCInferenceService"):
            response = stub.Check(health_pb2.HealthCheckRequest(service=service), timeout=5)
            assert response.status == health_pb2.HealthCheckResponse.SERVING


def test_reflection_lists_the_services(served):
    with grpc.insecure_channel(served[1]) as channel:
        services = set(ProtoReflectionDescriptorDatabase(channel).get_services())
    assert {"inference.GRPCInferenceService", "grpc.health.v1.Health"} <= services


def test_message_limit_is_64_mib_not_grpcs_4(client):
    """8 MiB reaches the model's checks (past gRPC's 4 MiB default); 65 MiB is refused by the transport."""
    for mib, status in ((8, "StatusCode.INVALID_ARGUMENT"), (65, "StatusCode.RESOURCE_EXHAUSTED")):
        tensor = triton.InferInput("TEXT", [mib * 2**18, 1], "FP32")
        tensor.set_data_from_numpy(np.zeros((mib * 2**18, 1), np.float32))
        with pytest.raises(InferenceServerException) as error:
            client.infer("text_embed_minilm", [tensor])
        assert error.value.status() == status, (mib, error.value.message())


def test_sigterm_stops_the_server_cleanly(served):
    """Runs last: the server finishes in-flight work, exits 0 and frees the port within seconds."""
    process, address = served
    process.send_signal(signal.SIGTERM)
    assert process.wait(timeout=10) == 0
    with socket.socket() as sock:  # no listener is left (closed connections may linger in TIME_WAIT)
        sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        sock.bind(("127.0.0.1", int(address.rsplit(":", 1)[1])))
        sock.listen()


def test_inference_can_require_the_tenants_api_keys(tmp_path):
    server = ServerProcess(tmp_path, server={"inference_requires_api_key": True}).start()
    try:
        client = triton.InferenceServerClient(server.address)
        assert client.is_server_live() and client.is_server_ready()  # probes stay open
        with pytest.raises(InferenceServerException, match="missing API key"):
            client.get_model_repository_index()
        with pytest.raises(InferenceServerException, match="unknown API key"):
            client.get_model_metadata("voice_prosody", headers={"x-api-key": "hl_wrong"})
        key = {"x-api-key": server.keys["acme"]}
        assert client.get_model_metadata("voice_prosody", headers=key).name == "voice_prosody"
        text = triton.InferInput("TEXT", [1, 1], "BYTES")
        text.set_data_from_numpy(np.array([[TEXTS[0].encode()]], dtype=object))
        with pytest.raises(InferenceServerException, match="missing API key"):
            client.infer("text_embed_minilm", [text])
        assert client.infer("text_embed_minilm", [text], headers=key).as_numpy("EMBEDDING").shape == (1, 384)
        client.close()
    finally:
        server.stop()


def test_a_stream_without_the_key_is_refused_when_keys_are_required(tmp_path):
    server = ServerProcess(tmp_path, server={"inference_requires_api_key": True}).start()
    try:
        samples = triton.InferInput("AUDIO", [1600], "FP32")
        samples.set_data_from_numpy(np.zeros(1600, dtype=np.float32))
        for headers, expected in ((None, "missing API key"), ({"x-api-key": server.keys["acme"]}, None)):
            client = triton.InferenceServerClient(server.address)
            results: list = []
            done = threading.Event()

            def callback(result, error, results=results, done=done):
                results.append((result, error))
                done.set()

            client.start_stream(callback, headers=headers)
            try:
                client.async_stream_infer("voice_prosody", [samples])
            except InferenceServerException:
                # the refusal can end the stream before the request is queued (it used to fail the test on
                # a busy machine); the callback has the server's error either way
                assert expected is not None
            assert done.wait(30)
            client.stop_stream()
            client.close()
            result, error = results[0]
            if expected is None:
                assert error is None and result.as_numpy("F0_HZ") is not None
            else:
                assert error is not None and expected in str(error)
    finally:
        server.stop()
