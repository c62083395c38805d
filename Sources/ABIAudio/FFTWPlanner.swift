import CFFTW

#if canImport(Glibc)
import Glibc
#endif

/// FFTW's planner is not thread-safe (only executing a plan is): every plan is made and
/// destroyed under this lock, so that captures on several threads can each analyse their sound.
enum FFTWPlanner {
    nonisolated(unsafe) static let mutex: UnsafeMutablePointer<pthread_mutex_t> = {
        let m = UnsafeMutablePointer<pthread_mutex_t>.allocate(capacity: 1)
        pthread_mutex_init(m, nil)
        return m
    }()

    static func locked<T>(_ body: () -> T) -> T {
        pthread_mutex_lock(mutex)
        defer { pthread_mutex_unlock(mutex) }
        return body()
    }

    static func realToComplex(_ n: Int, _ input: UnsafeMutablePointer<Float>, _ output: UnsafeMutablePointer<fftwf_complex>) -> fftwf_plan {
        locked { fftwf_plan_dft_r2c_1d(Int32(n), input, output, UInt32(FFTW_ESTIMATE))! }
    }

    static func complexToReal(_ n: Int, _ input: UnsafeMutablePointer<fftwf_complex>, _ output: UnsafeMutablePointer<Float>) -> fftwf_plan {
        locked { fftwf_plan_dft_c2r_1d(Int32(n), input, output, UInt32(FFTW_ESTIMATE))! }
    }

    static func destroy(_ plan: fftwf_plan) {
        locked { fftwf_destroy_plan(plan) }
    }
}
