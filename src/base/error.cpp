#include "base/error.h"

namespace gzca {

std::string_view ErrorCodeName(ErrorCode code) {
    switch (code) {
        case ErrorCode::kInvalidArgument:
            return "invalid_argument";
        case ErrorCode::kNotFound:
            return "not_found";
        case ErrorCode::kAlreadyExists:
            return "already_exists";
        case ErrorCode::kFailedPrecondition:
            return "failed_precondition";
        case ErrorCode::kPermissionDenied:
            return "permission_denied";
        case ErrorCode::kUnauthenticated:
            return "unauthenticated";
        case ErrorCode::kResourceExhausted:
            return "resource_exhausted";
        case ErrorCode::kUnavailable:
            return "unavailable";
        case ErrorCode::kInternal:
            return "internal";
    }
    return "internal";
}

int HttpStatusFor(ErrorCode code) {
    switch (code) {
        case ErrorCode::kInvalidArgument:
            return 400;
        case ErrorCode::kNotFound:
            return 404;
        case ErrorCode::kAlreadyExists:
            return 409;
        case ErrorCode::kFailedPrecondition:
            return 409;
        case ErrorCode::kPermissionDenied:
            return 403;
        case ErrorCode::kUnauthenticated:
            return 401;
        case ErrorCode::kResourceExhausted:
            return 429;
        case ErrorCode::kUnavailable:
            return 503;
        case ErrorCode::kInternal:
            return 500;
    }
    return 500;
}

}  // namespace gzca
